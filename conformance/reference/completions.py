"""POST /completions: OpenAI's legacy text completion, without streaming.

CRUN's compatibility layer does not stream this endpoint: `stream: true` is
refused with a 400 naming `stream` (`refuse_stream`), never answered with a
stream and never a 5xx.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import validation as v
from .auth import authenticate
from .chat import min_limit, read_sampling
from .errors import invalid
from .faults import (
    CHAT_CREATED_MS,
    COMPLETIONS_CHAT_SHAPED,
    COMPLETIONS_STREAM,
    COMPLETIONS_STREAM_500,
    COMPLETIONS_STREAM_IGNORED,
    Crash,
    Fault,
    raised,
)
from .model import Prompt, cap, generate
from .wire import DONE, event_stream, json_response, new_id, now, sse

FINISH_REASONS = {"stop": "stop", "stop_sequence": "stop", "length": "length"}


async def create(request: Request) -> Response:
    config = authenticate(request)
    faults = config.faults
    body = await v.read_json(request)
    info = v.model(body, config)
    stream = refuse_stream(body, faults)
    prompts = read_prompts(body.get("prompt"))
    seed = read_sampling(body, faults)
    n = v.integer(body, "n", 1, 8) or 1
    v.integer(body, "best_of", 1, 20)
    v.integer(body, "logprobs", 0, 5)
    v.string(body, "suffix")
    echo = bool(v.boolean(body, "echo"))
    limit = cap(raised(min_limit(v.integer(body, "max_tokens", 1)), faults), info)
    stop = v.stop_sequences(body, "stop", 4)
    v.conform(body, "CompletionRequest", faults)
    choices, prompt_tokens, completion_tokens = [], 0, 0
    for p, (text, prompt) in enumerate(prompts):
        prompt_tokens += prompt.tokens
        for i in range(n):
            out = generate(prompt, model=info.id, limit=limit, choice=i, seed=seed, stop=stop, behaviour=info.behaviour)
            completion_tokens += len(out.tokens)
            choices.append({"text": text + out.text if echo else out.text, "index": p * n + i, "logprobs": None,
                            "finish_reason": FINISH_REASONS[out.finish]})
            if COMPLETIONS_CHAT_SHAPED in faults:
                choices[-1]["message"] = {"role": "assistant", "content": choices[-1].pop("text")}
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens}
    created = now() * 1000 if CHAT_CREATED_MS in faults else now()
    completion = {"id": new_id("cmpl-"), "object": "text_completion", "created": created, "model": info.id,
                  "choices": choices, "usage": usage, "system_fingerprint": None}
    if stream:
        return event_stream([sse(completion), DONE], faults)
    return json_response(completion)


def refuse_stream(body: dict, faults: frozenset[Fault] = frozenset()) -> bool:
    """The no-stream rule of CRUN's legacy endpoint; True only when a fault lets the request stream."""
    if v.boolean(body, "stream"):
        if COMPLETIONS_STREAM_500 in faults:
            raise Crash("streaming is not implemented")
        if COMPLETIONS_STREAM in faults:
            return True
        if COMPLETIONS_STREAM_IGNORED in faults:
            return False
        raise invalid("stream", "streaming is not supported on /completions in this compatibility layer; "
                                "send stream: false, or use /chat/completions or /responses to stream.",
                      "unsupported_parameter")
    return False


def read_prompts(value: Any) -> list[tuple[str, Prompt]]:
    """`prompt` as OpenAI takes it: a string, strings, token ids, or lists of token ids; one Prompt each."""
    if value is None:
        raise v.missing("prompt")
    if isinstance(value, str) or _is_token_list(value):
        items: list = [value]
    elif isinstance(value, list) and value and (all(isinstance(p, str) for p in value) or
                                                all(_is_token_list(p) for p in value)):
        items = value
    else:
        raise v.wrong_type("prompt", "a string, or a non-empty array of strings, of token ids or of token id arrays",
                           value)
    prompts = []
    for item in items:
        text = item if isinstance(item, str) else " ".join(str(int(t)) for t in item)
        prompt = Prompt()
        prompt.say("user", text)
        prompts.append((text, prompt))
    return prompts


def _is_int(value: Any) -> bool:
    """A token id: a non-negative integer, 5.0 included (JSON Schema counts it as an integer)."""
    if isinstance(value, float):
        return value.is_integer() and value >= 0
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_token_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_int(t) for t in value)

"""POST /chat/completions: OpenAI's chat completion, as a JSON body or a stream of chunks.

The CRUN rule this endpoint adds to OpenAI's: in a stream, usage is sent
unless `stream_options.include_usage` is explicitly false (`wants_usage`).

Tool calls stream as OpenAI streams them: each call's first fragment carries
its `index`, `id`, `type` and name with empty arguments, then the arguments
follow one token per fragment under the same `index`; parallel calls take
indices 0, 1, ... in turn, and the answer finishes with "tool_calls".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import validation as v
from .auth import authenticate, presented_keys
from .errors import invalid
from .faults import (
    CAPABILITIES_BROKEN,
    CHAT_BODY_OFF_SCHEMA,
    CHAT_CHOICES_NOT_LIST,
    CHAT_CHUNK_IDS_VARY,
    CHAT_CHUNK_INVALID_JSON,
    CHAT_CHUNK_OBJECT_WRONG,
    CHAT_CREATED_MS,
    CHAT_HISTORY_DROPPED,
    CHAT_HISTORY_REFUSED,
    CHAT_LOGPROBS_BY_DEFAULT,
    CHAT_MAX_TOKENS_IGNORED,
    CHAT_N_IGNORED,
    CHAT_NO_DONE,
    CHAT_NO_FINISH_REASON,
    CHAT_NO_ROLE,
    CHAT_PENALTIES_REFUSED,
    CHAT_STREAM_500_FOR_CLAUDE,
    CHAT_TOOL_ARGUMENTS_OBJECT,
    CHAT_TOOL_ARGUMENTS_RESENT,
    CHAT_TOOL_CHUNK_AFTER_DONE,
    CHAT_TOOL_EMPTY_CHOICES,
    CHAT_TOOL_FINISH_STOP,
    CHAT_TOOL_FINISH_TWICE,
    CHAT_TOOL_FORCED_FINISH_STOP,
    CHAT_TOOL_ID_CHANGES,
    CHAT_TOOL_INDEX_SHARED,
    CHAT_TOOL_NO_INDEX,
    CHAT_TOOL_NO_TYPE,
    CHAT_TOOL_RESULT_REFUSED,
    CHAT_USAGE_MISCOUNTED,
    FORCED_TOOL_AS_TEXT,
    HUGE_MAX_COMPLETION_TOKENS_REFUSED,
    HUGE_MAX_TOKENS_OVERFLOW,
    HUGE_MAX_TOKENS_REFUSED,
    INCLUDE_USAGE_FALSE_IGNORED,
    LOGPROBS_IGNORED,
    MAX_COMPLETION_TOKENS_IGNORED,
    NO_STREAM_USAGE,
    STATE_KEPT,
    STOP_IGNORED,
    STREAM_LENGTH_AS_STOP,
    STREAM_USAGE_MISSING_FOR_GEMINI,
    STREAM_USAGE_TWICE,
    TOOLS_FINISH_REASON_TOOL_USE,
    USAGE_BEFORE_FINISH,
    USAGE_CHUNK_WITH_CHOICES,
    USAGE_ONLY_WHEN_ASKED,
    Crash,
    Fault,
    raised,
)
from .load_faults import usage_dropped
from .model import (
    Format,
    Output,
    Prompt,
    Tool,
    cap,
    choose_tools,
    generate,
    token_logprobs,
)
from .wire import DONE, dumps, event_stream, json_response, new_id, now, sse

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
FINISH_REASONS = {"stop": "stop", "stop_sequence": "stop", "length": "length", "tool": "tool_calls"}


@dataclass
class Choice:
    index: int
    outs: list[Output]  # the text, or one output per tool call (its arguments)
    call_ids: list[str]  # one per tool call; none for a text answer
    logprobs: int | None  # how many top logprobs, or None when not asked for
    finish: str  # the finish_reason it ends with

    @property
    def calls(self) -> list[tuple[str, Output]]:
        return list(zip(self.call_ids, self.outs, strict=True)) if self.call_ids else []

    @property
    def tokens(self) -> int:
        return sum(len(out.tokens) for out in self.outs)


async def create(request: Request) -> Response:
    config = authenticate(request)
    faults = config.faults
    body = await v.read_json(request)
    info = v.model(body, config)
    prompt = read_messages(v.array(body, "messages", required=True), faults)
    if CHAT_HISTORY_DROPPED in faults:
        prompt.turns = [t for t in prompt.turns[:-1] if t[0] in ("system", "developer")] + prompt.turns[-1:]
    stream = bool(v.boolean(body, "stream"))
    if stream and CHAT_STREAM_500_FOR_CLAUDE in faults and info.owned_by == "Anthropic":
        raise Crash("the Anthropic adapter cannot stream chat completions")
    seed = read_sampling(body, faults)
    n = v.integer(body, "n", 1, 8, faults=faults) or 1
    if CHAT_N_IGNORED in faults:
        n = 1
    max_tokens = v.integer(body, "max_tokens", 1)
    max_completion_tokens = v.integer(body, "max_completion_tokens", 1, faults=faults)
    for fault, name, value in ((HUGE_MAX_TOKENS_REFUSED, "max_tokens", max_tokens),
                               (HUGE_MAX_COMPLETION_TOKENS_REFUSED, "max_completion_tokens", max_completion_tokens)):
        if fault in faults and value is not None and value > info.max_output_tokens:
            raise invalid(name, f"expected at most {info.max_output_tokens} for {info.id}, but got {value}.")
    asked = raised(min_limit(None if CHAT_MAX_TOKENS_IGNORED in faults else max_tokens,
                             None if MAX_COMPLETION_TOKENS_IGNORED in faults else max_completion_tokens), faults)
    limit = cap(asked, info)
    if HUGE_MAX_TOKENS_OVERFLOW in faults and max_tokens is not None and max_tokens > info.max_output_tokens:
        limit = 0
    stop = () if STOP_IGNORED in faults else v.stop_sequences(body, "stop", 4, faults)
    fmt = read_response_format(body)
    tools = read_tools(body, prompt)
    mode, forced = read_tool_choice(body, tools)
    parallel = v.boolean(body, "parallel_tool_calls") is not False
    called = [] if forced and FORCED_TOOL_AS_TEXT in faults else choose_tools(tools, mode, forced, prompt,
                                                                              info.behaviour, parallel)
    logprobs = None if LOGPROBS_IGNORED in faults else read_logprobs(body, faults)
    if logprobs is None and CHAT_LOGPROBS_BY_DEFAULT in faults:
        logprobs = 0
    options = v.obj(body, "stream_options")
    include_usage = v.boolean(options, "include_usage", param="stream_options.include_usage") if options else None
    v.conform(body, "ChatCompletionRequest", faults)
    if fmt is not None:
        prompt.describe(fmt.schema or fmt.kind)
    if CAPABILITIES_BROKEN in faults:  # image and file parts accepted, then dropped before the model
        prompt.images = prompt.files = 0
    sent = list(prompt.turns)
    if STATE_KEPT in faults:
        prompt.turns = kept_turns(request) + prompt.turns
    choices = []
    for i in range(n):
        outs = answer(prompt, info.id, info.behaviour, limit, choice=i, seed=seed, stop=stop, fmt=fmt, called=called)
        choices.append(Choice(i, outs, [new_id("call_") for _ in called[:len(outs)]], logprobs,
                              finish_reason(outs[-1].finish, bool(called), forced is not None, faults)))
    if STATE_KEPT in faults:
        kept_turns(request).extend([*(t for t in sent if t[0] not in ("system", "developer")),
                                    ("assistant", choices[0].outs[0].text)])
    usage = chat_usage(prompt.tokens, sum(c.tokens for c in choices))
    if CHAT_USAGE_MISCOUNTED in faults:
        usage["total_tokens"] += 1
    head = {"id": new_id("chatcmpl-"), "created": now() * 1000 if CHAT_CREATED_MS in faults else now(), "model": info.id}
    if stream:
        forgets = STREAM_USAGE_MISSING_FOR_GEMINI in faults and info.owned_by == "Google" and include_usage is None
        streamed_usage = usage if wants_usage(include_usage, faults) and not forgets and not usage_dropped(request) else None
        return event_stream(stream_events(head, choices, streamed_usage, faults), faults)
    completion = {**envelope(head, "chat.completion"), "choices": [message_choice(c, faults) for c in choices],
                  "usage": usage, "system_fingerprint": None}
    if TOOLS_FINISH_REASON_TOOL_USE in faults:  # Anthropic's word for a tool call, passed through untranslated
        for choice in completion["choices"]:
            choice["finish_reason"] = "tool_use" if choice["finish_reason"] == "tool_calls" else choice["finish_reason"]
    if CHAT_CHOICES_NOT_LIST in faults:
        completion["choices"] = completion["choices"][0]
    if CHAT_BODY_OFF_SCHEMA in faults:
        del completion["id"]
    return json_response(completion)


def answer(prompt: Prompt, model: str, behaviour: str, limit: int, *, choice: int, seed: int | None,
           stop: tuple[str, ...], fmt: Format | None, called: list[Tool]) -> list[Output]:
    """One choice: its text, or a call of each tool called, in turn, within the one output limit."""
    if not called:
        return [generate(prompt, model=model, limit=limit, choice=choice, seed=seed, stop=stop, fmt=fmt,
                         behaviour=behaviour)]
    outs: list[Output] = []
    for tool in called:
        out = generate(prompt, model=model, limit=limit - sum(len(o.tokens) for o in outs), choice=choice, seed=seed,
                       tool=tool, behaviour=behaviour)
        outs.append(out)
        if out.finish == "length":
            break
    return outs


def finish_reason(finish: str, calls: bool, forced: bool, faults: frozenset[Fault]) -> str:
    """The choice's finish_reason: "tool_calls" after tool calls (the faults say "stop", as some bridges do)."""
    if calls and finish == "tool" and (CHAT_TOOL_FINISH_STOP in faults or forced and CHAT_TOOL_FORCED_FINISH_STOP in faults):
        return "stop"
    return FINISH_REASONS[finish]


def kept_turns(request: Request) -> list[tuple[str, str]]:
    """`state_kept`: the chat turns the presented key sent and was answered before, which CRUN promises not to keep."""
    store: dict[str, list[tuple[str, str]]] = request.app.state.kept_turns
    return store.setdefault(next(iter(presented_keys(request)), ""), [])


def min_limit(*limits: int | None) -> int | None:
    """The tightest of the limits given (`max_tokens` and `max_completion_tokens` may both be sent)."""
    given = [limit for limit in limits if limit is not None]
    return min(given) if given else None


def read_sampling(body: dict, faults: frozenset[Fault]) -> int | None:
    """Range-check the sampling fields chat and legacy completions share; the seed is the one that matters."""
    if CHAT_PENALTIES_REFUSED in faults:
        for name in ("presence_penalty", "frequency_penalty"):
            if body.get(name) is not None:
                raise invalid(name, f"{name} is not supported.", "unsupported_parameter")
    v.temperature(body, 2, faults)
    v.number(body, "top_p", 0, 1)
    v.number(body, "presence_penalty", -2, 2, faults=faults)
    v.number(body, "frequency_penalty", -2, 2, faults=faults)
    v.string(body, "user")
    v.obj(body, "logit_bias")
    v.obj(body, "metadata")
    return v.integer(body, "seed", -(2 ** 63), 2 ** 64 - 1)


def wants_usage(include_usage: bool | None, faults: frozenset[Fault] = frozenset()) -> bool:
    """CRUN sends usage in a stream unless the client explicitly says `include_usage: false`."""
    if NO_STREAM_USAGE in faults:
        return False
    if USAGE_ONLY_WHEN_ASKED in faults:
        return include_usage is True
    return include_usage is not False or INCLUDE_USAGE_FALSE_IGNORED in faults


def read_messages(messages: list, faults: frozenset[Fault] = frozenset()) -> Prompt:
    prompt = Prompt()
    for i, message in enumerate(v.nonempty(messages, "messages", faults)):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise v.wrong_type(where, "an object", message)
        role = v.one_of(message.get("role"), ROLES, f"{where}.role")
        if role == "assistant" and CHAT_HISTORY_REFUSED in faults or role == "tool" and CHAT_TOOL_RESULT_REFUSED in faults:
            raise invalid(f"{where}.role", f"a {role} turn is not supported.", "unsupported_parameter")
        text = read_content(message.get("content"), f"{where}.content", prompt, role == "assistant")
        v.string(message, "name", param=f"{where}.name")
        if role == "assistant":
            calls = v.array(message, "tool_calls", param=f"{where}.tool_calls")
            text += dumps(calls) if calls else ""
        if role == "tool":
            v.string(message, "tool_call_id", required=True, param=f"{where}.tool_call_id")
        if role in ("tool", "function"):
            prompt.tool_result(text)
        else:
            prompt.say(role, text)
    return prompt


def read_content(content: Any, where: str, prompt: Prompt, nullable: bool) -> str:
    """A message's text; image and file parts are counted on the prompt (vision input is accepted)."""
    if content is None and nullable:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise v.wrong_type(where, "a string or an array of content parts", content)
    texts = []
    for j, part in enumerate(content):
        at = f"{where}[{j}]"
        if not isinstance(part, dict):
            raise v.wrong_type(at, "an object", part)
        kind = v.one_of(part.get("type"), ("text", "image_url", "input_audio", "file", "refusal"), f"{at}.type")
        if kind in ("text", "refusal"):
            texts.append(v.string(part, kind, required=True, param=f"{at}.{kind}"))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else None
            if not isinstance(url, str):
                raise v.wrong_type(f"{at}.image_url.url", "a string", url)
            prompt.images += 1
        elif kind == "file":
            v.obj(part, "file", required=True, param=f"{at}.file")
            prompt.files += 1
        else:
            v.obj(part, "input_audio", required=True, param=f"{at}.input_audio")
    return "\n".join(texts)


def read_response_format(body: dict) -> Format | None:
    spec = v.obj(body, "response_format")
    if spec is None:
        return None
    kind = v.one_of(spec.get("type"), ("text", "json_object", "json_schema"), "response_format.type")
    if kind == "text":
        return None
    if kind == "json_object":
        return Format(kind)
    schema_spec = v.obj(spec, "json_schema", required=True, param="response_format.json_schema")
    v.string(schema_spec, "name", required=True, param="response_format.json_schema.name")
    schema = v.obj(schema_spec, "schema", param="response_format.json_schema.schema")
    return Format(kind, schema if schema is not None else {})


def read_tools(body: dict, prompt: Prompt) -> list[Tool]:
    tools = []
    for i, spec in enumerate(v.array(body, "tools") or []):
        if not isinstance(spec, dict):
            raise v.wrong_type(f"tools[{i}]", "an object", spec)
        kind = v.one_of(spec.get("type", "function"), ("function", "custom"), f"tools[{i}].type")
        if kind == "function":
            function = v.obj(spec, "function", required=True, param=f"tools[{i}].function")
            name = v.string(function, "name", required=True, param=f"tools[{i}].function.name")
            parameters = v.obj(function, "parameters", param=f"tools[{i}].function.parameters")
            tools.append(Tool(name, parameters if parameters is not None else {"type": "object", "properties": {}}))
        prompt.describe(spec)
    return tools


def read_tool_choice(body: dict, tools: list[Tool]) -> tuple[str, str | None]:
    """The tool choice as (mode, forced tool name): "none", "auto" or "required"."""
    choice = body.get("tool_choice")
    if choice is None:
        return "auto", None
    if isinstance(choice, str):
        return v.one_of(choice, ("none", "auto", "required"), "tool_choice"), None
    if not isinstance(choice, dict):
        raise v.wrong_type("tool_choice", "a string or an object", choice)
    kind = v.one_of(choice.get("type"), ("function", "allowed_tools", "custom"), "tool_choice.type")
    if kind != "function":
        return "auto", None
    function = v.obj(choice, "function", required=True, param="tool_choice.function")
    name = v.string(function, "name", required=True, param="tool_choice.function.name")
    if name not in {t.name for t in tools}:
        raise invalid("tool_choice", f"the function {v.shown(name)} is not among the tools.")
    return "required", name


def read_logprobs(body: dict, faults: frozenset[Fault] = frozenset()) -> int | None:
    asked = v.boolean(body, "logprobs")
    top = v.integer(body, "top_logprobs", 0, 20, faults=faults)
    return (top or 0) if asked else None


def chat_usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {
        "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0,
                                      "rejected_prediction_tokens": 0},
    }


def logprobs_of(choice: Choice, tokens: tuple[str, ...]) -> dict | None:
    if choice.logprobs is None:
        return None
    return {"content": token_logprobs(tokens, choice.logprobs), "refusal": None}


def tool_call(call_id: str, out: Output, arguments: Any) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": out.tool, "arguments": arguments}}


def message_choice(choice: Choice, faults: frozenset[Fault] = frozenset()) -> dict:
    out = choice.outs[0]
    message: dict[str, Any] = {"role": "assistant", "content": None if choice.calls else out.text, "refusal": None,
                               "annotations": []}
    if choice.calls:
        as_object = CHAT_TOOL_ARGUMENTS_OBJECT in faults
        message["tool_calls"] = [tool_call(call_id, call, json.loads(call.text) if as_object and call.finish == "tool"
                                           else call.text) for call_id, call in choice.calls]
    return {"index": choice.index, "message": message,
            "logprobs": None if choice.calls else logprobs_of(choice, out.tokens),
            "finish_reason": choice.finish}


# Streaming ----------------------------------------------------------------------------------------

def stream_events(head: dict, choices: list[Choice], usage: dict | None,
                  faults: frozenset[Fault] = frozenset()) -> Iterator[bytes]:
    """Chunks for every choice (interleaved, one choice per chunk), the usage chunk, then the done marker."""
    per_choice = [choice_deltas(choice, faults) for choice in choices]
    chunks = [chunk(head, [] if delta is BETWEEN_CALLS else [delta])
              for round_ in zip_longest(*per_choice) for delta in round_ if delta is not None]
    if usage is not None and USAGE_CHUNK_WITH_CHOICES in faults:
        chunks[-1]["usage"] = usage
    elif usage is not None and USAGE_BEFORE_FINISH in faults:
        finish = next((i for i, c in enumerate(chunks) if c["choices"][0]["finish_reason"] is not None), len(chunks))
        chunks.insert(finish, usage_chunk(head, usage))
    elif usage is not None:
        chunks += [usage_chunk(head, usage) for _ in range(2 if STREAM_USAGE_TWICE in faults else 1)]
    for index, data in enumerate(chunks):
        if CHAT_CHUNK_OBJECT_WRONG in faults:
            data["object"] = "chat.completion"
        if CHAT_CHUNK_IDS_VARY in faults:
            data["id"] = new_id("chatcmpl-")
        event = sse(data)
        yield event[:len(event) // 2] + b"\n\n" if index == 1 and CHAT_CHUNK_INVALID_JSON in faults else event
    if CHAT_NO_DONE not in faults:
        yield done_marker()
    if usage is not None and CHAT_TOOL_CHUNK_AFTER_DONE in faults and any(c.calls for c in choices):
        yield sse(usage_chunk(head, usage))


def envelope(head: dict, kind: str) -> dict:
    """id, object, created, model: in the order OpenAI writes them."""
    return {"id": head["id"], "object": kind, "created": head["created"], "model": head["model"]}


def chunk(head: dict, choices: list[dict], **extra: Any) -> dict:
    return {**envelope(head, "chat.completion.chunk"), "choices": choices, **extra}


def usage_chunk(head: dict, usage: dict) -> dict:
    """Usage on its own chunk with `choices: []`, after every choice finished, before the done marker."""
    return chunk(head, [], usage=usage)


def done_marker() -> bytes:
    return DONE


BETWEEN_CALLS = object()  # `chat_tool_empty_choices`: a chunk with `choices: []` where a bridge closes a call


def choice_deltas(choice: Choice, faults: frozenset[Fault] = frozenset()) -> Iterator[dict | object]:
    """One choice's stream: the role, one token (or a tool call's fragment) per chunk, then exactly one
    finish_reason."""
    role = {} if CHAT_NO_ROLE in faults else {"role": "assistant"}

    def delta(content: dict, finish: str | None = None, logprobs: dict | None = None) -> dict:
        return {"index": choice.index, "delta": content, "logprobs": logprobs, "finish_reason": finish}

    for position, (call_id, out) in enumerate(choice.calls):
        opening = {**role, "content": None} if position == 0 else {}
        yield delta({**opening, "tool_calls": [call_fragment(position, call_id, out, None, faults)]})
        pieces = [*out.tokens, out.text] if CHAT_TOOL_ARGUMENTS_RESENT in faults else out.tokens
        for piece in pieces:
            yield delta({"tool_calls": [call_fragment(position, call_id, out, piece, faults)]})
        if CHAT_TOOL_EMPTY_CHOICES in faults:
            yield BETWEEN_CALLS
    if not choice.calls:
        out = choice.outs[0]
        yield delta({**role, "content": "", "refusal": None})
        for token in out.tokens:
            yield delta({"content": token}, logprobs=logprobs_of(choice, (token,)))
    finish = "stop" if choice.finish == "length" and STREAM_LENGTH_AS_STOP in faults else choice.finish
    yield delta({}, None if CHAT_NO_FINISH_REASON in faults else finish)
    if choice.calls and CHAT_TOOL_FINISH_TWICE in faults:
        yield delta({}, finish)


def call_fragment(position: int, call_id: str, out: Output, arguments: str | None, faults: frozenset[Fault]) -> dict:
    """One fragment of a streamed tool call: the first (`arguments` None) names the call, the others carry a piece
    of its arguments; both under the call's `index`."""
    fragment: dict[str, Any] = {} if CHAT_TOOL_NO_INDEX in faults else {
        "index": 0 if CHAT_TOOL_INDEX_SHARED in faults else position}
    if arguments is None:
        fragment.update(tool_call(call_id, out, ""))
        if CHAT_TOOL_NO_TYPE in faults:
            del fragment["type"]
        return fragment
    if CHAT_TOOL_ID_CHANGES in faults:
        fragment["id"] = call_id + "_part"
    return {**fragment, "function": {"arguments": arguments}}

"""POST /messages: Anthropic's Messages API, as a message or its typed event stream.

Errors on this path take Anthropic's shape (see errors.py); `max_tokens` is
required as in Anthropic's API (0 included: it generates nothing), but a value
above the model's output limit is capped, as CRUN caps every limit, rather than
refused.

`thinking` (`{"type": "enabled", "budget_tokens": N}`, N from 1024 to below
`max_tokens`) puts a thinking block before the answer, signed with an HMAC of its
text under the server's secret; a thinking block sent back in a later turn must
carry that signature unchanged, or the turn is refused as Anthropic refuses it.
A `tool_result` must answer a `tool_use` of the assistant turn before it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import validation as v
from .auth import authenticate
from .config import ModelInfo, ReferenceConfig
from .errors import ApiError, invalid
from .faults import (
    FORCED_TOOL_AS_TEXT,
    MESSAGES_CONTENT_NOT_LIST,
    MESSAGES_DECLINES_OPENAI_MODELS,
    MESSAGES_DELTA_NO_STOP_REASON,
    MESSAGES_DONE_MARKER,
    MESSAGES_EVENT_OFF_SCHEMA,
    MESSAGES_MAX_TOKENS_OPTIONAL,
    MESSAGES_MISSING_FIELD_500,
    MESSAGES_NO_EVENT_LINES,
    MESSAGES_NO_STOP,
    MESSAGES_OUT_OF_ORDER,
    MESSAGES_STOP_REASON_OPENAI,
    MESSAGES_STOP_SEQUENCES_IGNORED,
    MESSAGES_STREAM_BLOCK_OVERLAP,
    MESSAGES_STREAM_INDEX_GAP,
    MESSAGES_STREAM_NO_TEXT,
    MESSAGES_STREAM_START_NO_INPUT_TOKENS,
    MESSAGES_THINKING_NO_SIGNATURE,
    MESSAGES_THINKING_REFUSED,
    MESSAGES_THINKING_SIGNATURE_REJECTED,
    MESSAGES_THINKING_SWALLOWED,
    MESSAGES_TOOL_END_TURN,
    MESSAGES_TOOL_INPUT_IN_START,
    MESSAGES_TOOL_PARTIAL_JSON_BROKEN,
    MESSAGES_TOOL_RESULT_REFUSED,
    MESSAGES_TOOLS_REFUSED,
    SYSTEM_DROPPED,
    Crash,
    Fault,
    raised,
)
from .model import Output, Prompt, Tool, cap, choose_tool, generate, think, tokenize
from .wire import DONE, dumps, event_stream, json_response, new_id, sse, typed_sse

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "stop_sequence": "stop_sequence", "tool": "tool_use"}
BLOCKS = ("text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking",
          "server_tool_use", "web_search_tool_result", "search_result", "container_upload")
THINKING_SECRET = b"crun-reference: the key thinking signatures are made with"
MIN_THINKING_BUDGET = 1024


async def create(request: Request) -> Response:
    config = authenticate(request)
    try:
        return await answer(request, config)
    except ApiError as error:
        if MESSAGES_MISSING_FIELD_500 in config.faults and error.code == "missing_required_parameter":
            raise Crash(f"no {error.param!r} in the body") from None
        raise


async def answer(request: Request, config: ReferenceConfig) -> Response:
    faults = config.faults
    body = await v.read_json(request)
    info = v.model(body, config)
    if MESSAGES_DECLINES_OPENAI_MODELS in faults and info.owned_by == "OpenAI":
        raise invalid("model", f"{info.id} is not served on /messages; use /chat/completions or /responses.",
                      "model_not_supported")
    limit = raised(v.integer(body, "max_tokens", 0, required=MESSAGES_MAX_TOKENS_OPTIONAL not in faults), faults)
    messages = v.nonempty(v.array(body, "messages", required=True), "messages")
    prompt = Prompt()
    read_system(None if SYSTEM_DROPPED in faults else body.get("system"), prompt)
    read_messages(messages, prompt, faults)
    v.temperature(body, 1, faults)
    v.number(body, "top_p", 0, 1)
    v.integer(body, "top_k", 0)
    v.obj(body, "metadata")
    if MESSAGES_THINKING_REFUSED in faults and body.get("thinking") is not None:
        raise invalid("thinking", "thinking is not supported.", "unsupported_parameter")
    thinking = read_thinking(body, limit)
    stream = bool(v.boolean(body, "stream"))
    if isinstance(body.get("stop_sequences"), str):
        raise v.wrong_type("stop_sequences", "an array of strings", body["stop_sequences"])
    stop = () if MESSAGES_STOP_SEQUENCES_IGNORED in faults else v.stop_sequences(body, "stop_sequences", None)
    if MESSAGES_TOOLS_REFUSED in faults and body.get("tools"):
        raise invalid("tools", "tools are not supported.", "unsupported_parameter")
    tools = read_tools(body, prompt)
    mode, forced = read_tool_choice(body, tools)
    if thinking and mode == "required":
        raise invalid("thinking", "Thinking may not be enabled when tool_choice forces tool use.")
    v.conform(body, "MessageRequest", faults)
    tool = None if forced and FORCED_TOOL_AS_TEXT in faults else choose_tool(tools, mode, forced, prompt, info.behaviour)
    thought = tokenize(think(prompt, model=info.id, behaviour=info.behaviour)) if thinking else []
    out = generate(prompt, model=info.id, limit=max(cap(limit, info) - len(thought), 0), stop=stop, tool=tool,
                   behaviour=info.behaviour)
    blocks = [] if not thought or MESSAGES_THINKING_SWALLOWED in faults else [thinking_block(thought, faults)]
    blocks.append((content_block(out), out.tokens))
    message = message_object(info, out, [block for block, _ in blocks], prompt.tokens, len(thought))
    if MESSAGES_STOP_REASON_OPENAI in faults:
        message["stop_reason"] = out.finish
    elif MESSAGES_TOOL_END_TURN in faults and out.finish == "tool":
        message["stop_reason"] = "end_turn"
    if stream:
        return event_stream(stream_events(message, [pieces for _, pieces in blocks], faults), faults)
    if MESSAGES_CONTENT_NOT_LIST in faults:
        return json_response({**message, "content": message["content"][-1]})
    return json_response(message)


def read_thinking(body: dict, limit: int | None) -> bool:
    """Whether the request turns thinking on: `{"type": "enabled", "budget_tokens": N}`, N from 1024 to below
    `max_tokens`, as Anthropic asks; `disabled` (or `adaptive`, which the reference treats as off) leaves it off."""
    config = v.obj(body, "thinking")
    if config is None:
        return False
    kind = v.one_of(config.get("type"), ("enabled", "disabled", "adaptive"), "thinking.type")
    if kind != "enabled":
        return False
    budget = v.integer(config, "budget_tokens", MIN_THINKING_BUDGET, required=True, param="thinking.budget_tokens")
    if limit is not None and budget >= limit:
        raise invalid("thinking.budget_tokens", f"expected less than max_tokens ({limit}), but got {budget} instead.")
    return True


def signed(thinking: str) -> str:
    """The signature of a thinking text: an HMAC under the server's secret, so the server can verify it next turn."""
    digest = hmac.new(THINKING_SECRET, thinking.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def thinking_block(thought: list[str], faults: frozenset[Fault]) -> tuple[dict, tuple[str, ...]]:
    text = "".join(thought)
    block = {"type": "thinking", "thinking": text}
    if MESSAGES_THINKING_NO_SIGNATURE not in faults:
        block["signature"] = signed(text)
    return block, tuple(thought)


def read_system(system: Any, prompt: Prompt) -> None:
    if system is None:
        return
    if isinstance(system, str):
        prompt.say("system", system)
        return
    if not isinstance(system, list):
        raise v.wrong_type("system", "a string or an array of text blocks", system)
    for i, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
            raise invalid(f"system[{i}]", "expected a text block {\"type\": \"text\", \"text\": ...}.")
        prompt.say("system", block["text"])


def read_messages(messages: list, prompt: Prompt, faults: frozenset[Fault] = frozenset()) -> None:
    """Every turn, in order; a `tool_result` must answer a `tool_use` of the assistant turn just before it."""
    called: set[str] = set()  # the tool_use ids of the turn before
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise v.wrong_type(where, "an object", message)
        role = v.one_of(message.get("role"), ("user", "assistant"), f"{where}.role")
        content = message.get("content")
        if isinstance(content, str):
            prompt.say(role, content)
            called = set()
            continue
        if not isinstance(content, list):
            raise v.wrong_type(f"{where}.content", "a string or an array of content blocks", content)
        calls: set[str] = set()
        for j, block in enumerate(content):
            read_block(block, f"{where}.content[{j}]", role, prompt, faults)
            if isinstance(block, dict) and block.get("type") == "tool_use":
                # `messages_tool_result_refused`: a careless gateway renames the ids on their way upstream
                calls.add(("call_" if MESSAGES_TOOL_RESULT_REFUSED in faults else "") + block["id"])
            if isinstance(block, dict) and block.get("type") == "tool_result" and block["tool_use_id"] not in called:
                raise invalid(f"{where}.content[{j}].tool_use_id", f"unexpected `tool_use_id` found in `tool_result` "
                              f"blocks: {v.shown(block['tool_use_id'])}. Each `tool_result` block must have a "
                              "corresponding `tool_use` block in the previous message.")
        called = calls


def read_block(block: Any, where: str, role: str, prompt: Prompt, faults: frozenset[Fault] = frozenset()) -> None:
    if not isinstance(block, dict):
        raise v.wrong_type(where, "an object", block)
    kind = v.one_of(block.get("type"), BLOCKS, f"{where}.type")
    if kind == "text":
        prompt.say(role, v.string(block, "text", required=True, param=f"{where}.text"))
    elif kind == "image":
        v.obj(block, "source", required=True, param=f"{where}.source")
        prompt.images += 1
    elif kind == "document":
        v.obj(block, "source", required=True, param=f"{where}.source")
        prompt.files += 1
    elif kind == "tool_use":
        name = v.string(block, "name", required=True, param=f"{where}.name")
        v.string(block, "id", required=True, param=f"{where}.id")
        prompt.call(name, dumps(block.get("input")))
    elif kind == "tool_result":
        v.string(block, "tool_use_id", required=True, param=f"{where}.tool_use_id")
        result = block.get("content")
        if isinstance(result, list):
            result = " ".join(b.get("text", "") for b in result if isinstance(b, dict) and isinstance(b.get("text"), str))
        prompt.tool_result(result if isinstance(result, str) else "")
    elif kind == "thinking":
        # Earlier thinking is verified, not read: Anthropic leaves it out of the context of a later turn.
        text = v.string(block, "thinking", required=True, param=f"{where}.thinking")
        signature = v.string(block, "signature", required=True, param=f"{where}.signature")
        sent = signature.encode("utf-8", "surrogatepass")
        if MESSAGES_THINKING_SIGNATURE_REJECTED in faults or not hmac.compare_digest(sent, signed(text).encode()):
            raise invalid(f"{where}.signature", "Invalid `signature` in `thinking` block.")
    elif kind == "redacted_thinking":
        v.string(block, "data", required=True, param=f"{where}.data")


def read_tools(body: dict, prompt: Prompt) -> list[Tool]:
    """Custom tools (name + input_schema) can be called; typed server tools are accepted and left alone."""
    tools = []
    for i, spec in enumerate(v.array(body, "tools") or []):
        if not isinstance(spec, dict):
            raise v.wrong_type(f"tools[{i}]", "an object", spec)
        name = v.string(spec, "name", required=True, param=f"tools[{i}].name")
        if spec.get("type") in (None, "custom"):
            tools.append(Tool(name, v.obj(spec, "input_schema", required=True, param=f"tools[{i}].input_schema")))
        prompt.describe(spec)
    return tools


def read_tool_choice(body: dict, tools: list[Tool]) -> tuple[str, str | None]:
    choice = v.obj(body, "tool_choice")
    if choice is None:
        return "auto", None
    kind = v.one_of(choice.get("type"), ("auto", "any", "tool", "none"), "tool_choice.type")
    if kind != "tool":
        return {"any": "required"}.get(kind, kind), None
    name = v.string(choice, "name", required=True, param="tool_choice.name")
    if name not in {t.name for t in tools}:
        raise invalid("tool_choice.name", f"the tool {v.shown(name)} is not among the tools.")
    return "required", name


def content_block(out: Output) -> dict:
    if out.tool:
        try:
            arguments = json.loads(out.text)
        except ValueError:  # arguments cut short by max_tokens
            arguments = {}
        if not isinstance(arguments, dict):  # Anthropic's `input` is an object, whatever the schema built
            arguments = {}
        return {"type": "tool_use", "id": new_id("toolu_"), "name": out.tool, "input": arguments}
    return {"type": "text", "text": out.text}


def message_object(info: ModelInfo, out: Output, content: list[dict], input_tokens: int, thought: int = 0) -> dict:
    """The message: its content blocks, and usage counting the thinking's tokens as output too."""
    return {
        "id": new_id("msg_"), "type": "message", "role": "assistant", "model": info.id,
        "content": content,
        "stop_reason": STOP_REASONS[out.finish], "stop_sequence": out.stop_sequence,
        "usage": message_usage(input_tokens, thought + len(out.tokens)),
    }


def message_usage(input_tokens: int, output_tokens: int) -> dict:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0}


# Streaming ----------------------------------------------------------------------------------------

def stream_events(message: dict, pieces: list[tuple[str, ...]], faults: frozenset[Fault] = frozenset()) -> Iterator[bytes]:
    """message_start, then each content block in order at indices 0, 1, … (start, its deltas, one per piece, stop; a
    ping after the first start), then message_delta and message_stop."""
    named = sse if MESSAGES_NO_EVENT_LINES in faults else typed_sse
    usage = message["usage"]
    start_usage = {**usage, "output_tokens": 0}
    if MESSAGES_STREAM_START_NO_INPUT_TOKENS in faults:
        start_usage["input_tokens"] = 0
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}
    yield named({"type": "message_start", "message": start})
    blocks = list(zip(message["content"], pieces, strict=True))
    stops = []
    for position, (block, parts) in enumerate(blocks):
        index = block_index(position, faults)
        opening, deltas = block_stream(block, parts, faults)
        yield named({"type": "content_block_start", "index": index, "content_block": opening})
        if position == 0:
            yield named({"type": "ping"})
        for delta in deltas:
            yield named({"type": "content_block_delta", "index": index, "delta": delta})
        stop = named({"type": "content_block_stop"} if MESSAGES_EVENT_OFF_SCHEMA in faults else
                     {"type": "content_block_stop", "index": index})
        if position == len(blocks) - 1:
            stops.append(stop)
        elif MESSAGES_STREAM_BLOCK_OVERLAP not in faults:
            yield stop
    stop_reason = None if MESSAGES_DELTA_NO_STOP_REASON in faults else message["stop_reason"]
    delta_usage = {"output_tokens": usage["output_tokens"]}
    if MESSAGES_STREAM_START_NO_INPUT_TOKENS in faults:
        delta_usage["input_tokens"] = usage["input_tokens"]
    message_delta = named({"type": "message_delta",
                           "delta": {"stop_reason": stop_reason, "stop_sequence": message["stop_sequence"]},
                           "usage": delta_usage})
    yield from (message_delta, *stops) if MESSAGES_OUT_OF_ORDER in faults else (*stops, message_delta)
    if MESSAGES_NO_STOP not in faults:
        yield named({"type": "message_stop"})
    if MESSAGES_DONE_MARKER in faults:
        yield DONE


def block_index(position: int, faults: frozenset[Fault]) -> int:
    """The index a content block streams at: its position, or what a fault makes of it."""
    if MESSAGES_STREAM_BLOCK_OVERLAP in faults:
        return 0
    return position + 1 if position and MESSAGES_STREAM_INDEX_GAP in faults else position


def block_stream(block: dict, parts: tuple[str, ...], faults: frozenset[Fault]) -> tuple[dict, list[dict]]:
    """A block's content_block_start payload and its deltas: a thinking block's text in thinking_delta pieces and
    its signature in a signature_delta, a tool_use block's input in input_json_delta pieces, a text in text_delta
    pieces."""
    kind = block["type"]
    if kind == "thinking":
        deltas = [{"type": "thinking_delta", "thinking": part} for part in parts]
        if "signature" in block:
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        return {"type": "thinking", "thinking": "", "signature": ""}, deltas
    if kind == "tool_use":
        if MESSAGES_TOOL_INPUT_IN_START in faults:
            return block, []
        kept = parts[1:] if MESSAGES_TOOL_PARTIAL_JSON_BROKEN in faults else parts
        return {**block, "input": {}}, [{"type": "input_json_delta", "partial_json": part} for part in kept]
    silent = MESSAGES_STREAM_NO_TEXT in faults
    return {"type": "text", "text": ""}, [] if silent else [{"type": "text_delta", "text": part} for part in parts]

"""POST /messages: Anthropic's Messages API, as a message or its typed event stream.

Errors on this path take Anthropic's shape (see errors.py); `max_tokens` is
required as in Anthropic's API (0 included: it generates nothing), but a value
above the model's output limit is capped, as CRUN caps every limit, rather than
refused.
"""

from __future__ import annotations

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
    MESSAGES_STREAM_NO_TEXT,
    MESSAGES_THINKING_REFUSED,
    MESSAGES_TOOLS_REFUSED,
    SYSTEM_DROPPED,
    Crash,
    Fault,
    raised,
)
from .model import Output, Prompt, Tool, cap, choose_tool, generate
from .wire import DONE, dumps, event_stream, json_response, new_id, sse, typed_sse

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "stop_sequence": "stop_sequence", "tool": "tool_use"}
BLOCKS = ("text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking",
          "server_tool_use", "web_search_tool_result", "search_result", "container_upload")


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
    read_messages(messages, prompt)
    v.temperature(body, 1, faults)
    v.number(body, "top_p", 0, 1)
    v.integer(body, "top_k", 0)
    v.obj(body, "metadata")
    if MESSAGES_THINKING_REFUSED in faults and body.get("thinking") is not None:
        raise invalid("thinking", "thinking is not supported.", "unsupported_parameter")
    v.obj(body, "thinking")
    stream = bool(v.boolean(body, "stream"))
    if isinstance(body.get("stop_sequences"), str):
        raise v.wrong_type("stop_sequences", "an array of strings", body["stop_sequences"])
    stop = () if MESSAGES_STOP_SEQUENCES_IGNORED in faults else v.stop_sequences(body, "stop_sequences", None)
    if MESSAGES_TOOLS_REFUSED in faults and body.get("tools"):
        raise invalid("tools", "tools are not supported.", "unsupported_parameter")
    tools = read_tools(body, prompt)
    mode, forced = read_tool_choice(body, tools)
    v.conform(body, "MessageRequest", faults)
    tool = None if forced and FORCED_TOOL_AS_TEXT in faults else choose_tool(tools, mode, forced, prompt, info.behaviour)
    out = generate(prompt, model=info.id, limit=cap(limit, info), stop=stop, tool=tool, behaviour=info.behaviour)
    message = message_object(info, out, prompt.tokens)
    if MESSAGES_STOP_REASON_OPENAI in faults:
        message["stop_reason"] = out.finish
    if stream:
        return event_stream(stream_events(message, out, faults), faults)
    if MESSAGES_CONTENT_NOT_LIST in faults:
        return json_response({**message, "content": message["content"][0]})
    return json_response(message)


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


def read_messages(messages: list, prompt: Prompt) -> None:
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise v.wrong_type(where, "an object", message)
        role = v.one_of(message.get("role"), ("user", "assistant"), f"{where}.role")
        content = message.get("content")
        if isinstance(content, str):
            prompt.say(role, content)
            continue
        if not isinstance(content, list):
            raise v.wrong_type(f"{where}.content", "a string or an array of content blocks", content)
        for j, block in enumerate(content):
            read_block(block, f"{where}.content[{j}]", role, prompt)


def read_block(block: Any, where: str, role: str, prompt: Prompt) -> None:
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


def message_object(info: ModelInfo, out: Output, input_tokens: int) -> dict:
    return {
        "id": new_id("msg_"), "type": "message", "role": "assistant", "model": info.id,
        "content": [content_block(out)],
        "stop_reason": STOP_REASONS[out.finish], "stop_sequence": out.stop_sequence,
        "usage": message_usage(input_tokens, len(out.tokens)),
    }


def message_usage(input_tokens: int, output_tokens: int) -> dict:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0}


# Streaming ----------------------------------------------------------------------------------------

def stream_events(message: dict, out: Output, faults: frozenset[Fault] = frozenset()) -> Iterator[bytes]:
    """message_start, one content block (start, ping, one delta per token, stop), message_delta, message_stop."""
    named = sse if MESSAGES_NO_EVENT_LINES in faults else typed_sse
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": {**usage, "output_tokens": 0}}
    yield named({"type": "message_start", "message": start})
    block = message["content"][0]
    if block["type"] == "tool_use":
        opening, delta = {**block, "input": {}}, (lambda token: {"type": "input_json_delta", "partial_json": token})
    else:
        opening, delta = {"type": "text", "text": ""}, (lambda token: {"type": "text_delta", "text": token})
    yield named({"type": "content_block_start", "index": 0, "content_block": opening})
    yield named({"type": "ping"})
    silent = block["type"] == "text" and MESSAGES_STREAM_NO_TEXT in faults
    for token in () if silent else out.tokens:
        yield named({"type": "content_block_delta", "index": 0, "delta": delta(token)})
    block_stop = named({"type": "content_block_stop"} if MESSAGES_EVENT_OFF_SCHEMA in faults else
                       {"type": "content_block_stop", "index": 0})
    stop_reason = None if MESSAGES_DELTA_NO_STOP_REASON in faults else message["stop_reason"]
    message_delta = named({"type": "message_delta",
                           "delta": {"stop_reason": stop_reason, "stop_sequence": message["stop_sequence"]},
                           "usage": {"output_tokens": usage["output_tokens"]}})
    yield from (message_delta, block_stop) if MESSAGES_OUT_OF_ORDER in faults else (block_stop, message_delta)
    if MESSAGES_NO_STOP not in faults:
        yield named({"type": "message_stop"})
    if MESSAGES_DONE_MARKER in faults:
        yield DONE

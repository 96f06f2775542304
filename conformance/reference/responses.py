"""POST /responses: OpenAI's Responses API, as a JSON response object or its typed event stream.

Stored responses live in memory (`ResponseStore`, bounded): `store` defaults
to true as in OpenAI, and `previous_response_id` continues the stored
conversation, or is a 404 naming `previous_response_id` when unknown.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import validation as v
from .auth import authenticate
from .chat import chat_usage
from .config import ModelInfo
from .errors import ApiError, invalid
from .faults import (
    BUILTIN_TOOL_500,
    BUILTIN_TOOL_REFUSED,
    CAPABILITIES_BROKEN,
    FORCED_TOOL_AS_TEXT,
    HUGE_MAX_OUTPUT_TOKENS_REFUSED,
    PREVIOUS_RESPONSE_IGNORED,
    RESPONSES_CREATED_AT_MS,
    RESPONSES_CUT_BUT_COMPLETED,
    RESPONSES_DELTAS_SHORT,
    RESPONSES_EVENT_OFF_SCHEMA,
    RESPONSES_FUNCTION_DELTA_CALL_ID,
    RESPONSES_FUNCTION_FINAL_OUTPUT_EMPTY,
    RESPONSES_FUNCTION_NO_ARGUMENTS_DONE,
    RESPONSES_FUNCTION_NO_ID,
    RESPONSES_FUNCTION_NO_ITEM_ADDED,
    RESPONSES_FUNCTION_NO_ITEM_DONE,
    RESPONSES_FUNCTION_OUTPUT_DROPPED,
    RESPONSES_MAX_OUTPUT_TOKENS_IGNORED,
    RESPONSES_MISSING_INPUT_500,
    RESPONSES_NO_CREATED,
    RESPONSES_NO_EVENT_LINES,
    RESPONSES_NO_OUTPUT_TEXT,
    RESPONSES_NO_TERMINAL,
    RESPONSES_NOT_STORED,
    RESPONSES_OUTPUT_NOT_LIST,
    RESPONSES_REASONING_500,
    RESPONSES_REASONING_ITEM_UNOPENED,
    RESPONSES_REASONING_NO_SUMMARY,
    RESPONSES_REASONING_REFUSED,
    RESPONSES_REASONING_TOKENS_DROPPED,
    RESPONSES_SEQUENCE_REPEATS,
    RESPONSES_SYSTEM_ITEM_REFUSED,
    RESPONSES_TWO_STREAM_FAULTS,
    RESPONSES_USAGE_CHAT_NAMES,
    RESPONSES_USAGE_MISCOUNTED,
    SYSTEM_DROPPED,
    TOOLS_USAGE_NULL,
    Crash,
    Fault,
    raised,
)
from .model import (
    VOCABULARY,
    Format,
    Output,
    Prompt,
    Tool,
    call_text,
    cap,
    choose_tool,
    generate,
    tokenize,
)
from .wire import DONE, event_stream, json_response, new_id, now, sse, typed_sse

ROLES = ("user", "assistant", "system", "developer")
SUMMARIES = ("auto", "concise", "detailed")  # a reasoning summary asked for; without one the summary list stays empty
TEXT_PARTS = ("input_text", "output_text", "text", "refusal", "summary_text", "reasoning_text")
STORE_LIMIT = 10_000


@dataclass(frozen=True)
class Thought:
    """A reasoning model's hidden reasoning: its token count, and its summary when one was asked for."""

    tokens: int
    summary: str | None = None


@dataclass
class Stored:
    history: Prompt  # the conversation before the reply, without instructions (they are not carried over)
    reply: str


class ResponseStore:
    """Responses kept for `previous_response_id`, oldest dropped first beyond `limit`."""

    def __init__(self, limit: int = STORE_LIMIT) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Stored] = OrderedDict()

    def get(self, response_id: str) -> Stored | None:
        return self._items.get(response_id)

    def put(self, response_id: str, stored: Stored) -> None:
        self._items[response_id] = stored
        while len(self._items) > self.limit:
            self._items.popitem(last=False)


async def create(request: Request) -> Response:
    config = authenticate(request)
    faults = config.faults
    body = await v.read_json(request)
    info = v.model(body, config)
    if "input" not in body or body["input"] is None:
        if RESPONSES_MISSING_INPUT_500 in faults:
            raise Crash("no input to read")
        raise v.missing("input")
    instructions = None if SYSTEM_DROPPED in faults else v.string(body, "instructions")
    previous_id = v.string(body, "previous_response_id")
    store_ = v.boolean(body, "store")
    stream = bool(v.boolean(body, "stream"))
    limit_asked = raised(v.integer(body, "max_output_tokens", 1, faults=faults), faults)
    if HUGE_MAX_OUTPUT_TOKENS_REFUSED in faults and limit_asked is not None and limit_asked > info.max_output_tokens:
        raise invalid("max_output_tokens", f"expected at most {info.max_output_tokens} for {info.id}, but got "
                                           f"{limit_asked}.")
    v.temperature(body, 2, faults)
    v.number(body, "top_p", 0, 1)
    v.integer(body, "top_logprobs", 0, 20, faults=faults)
    v.boolean(body, "parallel_tool_calls")
    v.obj(body, "metadata")
    if RESPONSES_REASONING_REFUSED in faults and body.get("reasoning") is not None:
        raise invalid("reasoning", "reasoning is not supported.", "unsupported_parameter")
    if RESPONSES_REASONING_500 in faults and body.get("reasoning") is not None:
        raise Crash("the upstream refused reasoning")
    v.obj(body, "reasoning")
    v.string(body, "user")
    if body.get("truncation") is not None:
        v.one_of(body["truncation"], ("auto", "disabled"), "truncation")
    fmt = read_text_format(body)

    prompt = Prompt()
    if instructions:
        prompt.say("system", instructions)
    history_from = len(prompt.turns)
    ignored = CAPABILITIES_BROKEN in faults or PREVIOUS_RESPONSE_IGNORED in faults
    if previous_id is not None and not ignored:  # broken: the id is taken, then ignored
        previous = request.app.state.responses.get(previous_id)
        if previous is None:
            raise ApiError(404, f"Previous response with id {v.shown(previous_id, 80)} not found.",
                           "previous_response_id", "previous_response_not_found")
        prompt.resume(previous.history, previous.reply)
    read_input(body["input"], prompt, faults)
    tools = read_tools(body, prompt, faults)
    mode, forced = read_tool_choice(body, tools)
    v.conform(body, "ResponseRequest", faults)
    tool = None if forced and FORCED_TOOL_AS_TEXT in faults else choose_tool(tools, mode, forced, prompt, info.behaviour)
    if fmt is not None:
        prompt.describe(fmt.schema or fmt.kind)
    if CAPABILITIES_BROKEN in faults:  # image and file parts accepted, then dropped before the model
        prompt.images = prompt.files = 0

    limit = cap(None if RESPONSES_MAX_OUTPUT_TOKENS_IGNORED in faults else limit_asked, info)
    thought = think(body, prompt, info, limit)
    out = generate(prompt, model=info.id, limit=limit - (thought.tokens if thought else 0), fmt=fmt, tool=tool,
                   behaviour=info.behaviour)
    response = response_object(body, info, out, prompt.tokens, faults, thought)
    if store_ is not False and RESPONSES_NOT_STORED not in faults:
        history = Prompt(prompt.turns[history_from:], prompt.images, prompt.files)
        request.app.state.responses.put(response["id"], Stored(history, reply_text(out)))
    if stream:
        return event_stream(stream_events(response, faults), faults)
    if RESPONSES_OUTPUT_NOT_LIST in faults:
        return json_response({**response, "output": response["output"][0]})
    return json_response(response)


def reply_text(out: Output) -> str:
    """What a stored reply contributes to the conversation that follows it."""
    return call_text(out.tool, out.text) if out.tool else out.text


def read_input(value: Any, prompt: Prompt, faults: frozenset[Fault] = frozenset()) -> None:
    """A string, or a list of input items: role messages (text, image and file parts), tool calls and outputs."""
    if isinstance(value, str):
        prompt.say("user", value)
        return
    if not isinstance(value, list):
        raise v.wrong_type("input", "a string or an array of input items", value)
    if RESPONSES_FUNCTION_OUTPUT_DROPPED in faults:
        dropped_output(value)
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise v.wrong_type(where, "an object", item)
        kind = item.get("type", "message" if "role" in item else None)
        if not isinstance(kind, str):
            raise invalid(f"{where}.type", "expected an input item with a role or a type.", "invalid_type")
        if kind == "message":
            role = v.one_of(item.get("role"), ROLES, f"{where}.role")
            if role == "system" and RESPONSES_SYSTEM_ITEM_REFUSED in faults:
                raise invalid(f"{where}.role", "a system item is not supported; use instructions.", "invalid_value")
            text = read_content(item.get("content"), f"{where}.content", prompt)
            if not (role in ("system", "developer") and SYSTEM_DROPPED in faults):
                prompt.say(role, text)
        elif kind == "function_call":
            name = v.string(item, "name", required=True, param=f"{where}.name")
            arguments = v.string(item, "arguments", required=True, param=f"{where}.arguments")
            v.string(item, "call_id", required=True, param=f"{where}.call_id")
            prompt.call(name, arguments)
        elif kind == "function_call_output":
            v.string(item, "call_id", required=True, param=f"{where}.call_id")
            output = item.get("output")
            if isinstance(output, list):
                output = read_content(output, f"{where}.output", prompt)
            elif not isinstance(output, str):
                raise v.wrong_type(f"{where}.output", "a string or an array of content parts", output)
            prompt.tool_result(output)
        # Other item types (reasoning, item_reference, built-in tool calls) are accepted and passed over.


def dropped_output(items: list) -> None:
    """`responses_function_output_dropped`: the `function_call_output` items are lost on the way, so the upstream
    refuses the call they answered, as OpenAI does."""
    calls = [i.get("call_id") for i in items if isinstance(i, dict) and i.get("type") == "function_call"]
    if calls:
        raise invalid("input", f"No tool output found for function call {v.shown(calls[0], 80)}.")


def think(body: dict, prompt: Prompt, info: ModelInfo, limit: int) -> Thought | None:
    """The reasoning of a request that asks for it (`reasoning.effort` other than "none"): a short chain of thought,
    counted in the output tokens within the limit, and its summary when `reasoning.summary` asks for one."""
    spec = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    if spec.get("effort") in (None, "none"):
        return None
    rng = prompt.rng(info.id, "reasoning")
    text = "Planning the answer: " + " ".join(rng.choice(VOCABULARY) for _ in range(6)) + "."
    tokens = tokenize(text)[: max(1, limit // 2)]
    return Thought(len(tokens), "".join(tokens) if spec.get("summary") in SUMMARIES else None)


def read_content(content: Any, where: str, prompt: Prompt) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise v.wrong_type(where, "a string or an array of content parts", content)
    texts = []
    for j, part in enumerate(content):
        at = f"{where}[{j}]"
        if not isinstance(part, dict):
            raise v.wrong_type(at, "an object", part)
        kind = v.one_of(part.get("type"), TEXT_PARTS + ("input_image", "input_file", "input_audio"), f"{at}.type")
        if kind in TEXT_PARTS:
            key = "refusal" if kind == "refusal" else "text"
            texts.append(v.string(part, key, required=True, param=f"{at}.{key}"))
        elif kind == "input_image":
            if not any(isinstance(part.get(k), str) for k in ("image_url", "file_id")):
                raise v.missing(f"{at}.image_url")
            prompt.images += 1
        elif kind == "input_file":
            if not any(isinstance(part.get(k), str) for k in ("file_url", "file_data", "file_id")):
                raise v.missing(f"{at}.file_url")
            prompt.files += 1
    return "\n".join(texts)


def read_text_format(body: dict) -> Format | None:
    text = v.obj(body, "text")
    spec = v.obj(text, "format", param="text.format") if text else None
    if spec is None:
        return None
    kind = v.one_of(spec.get("type"), ("text", "json_object", "json_schema"), "text.format.type")
    if kind == "text":
        return None
    if kind == "json_object":
        return Format(kind)
    v.string(spec, "name", required=True, param="text.format.name")
    return Format(kind, v.obj(spec, "schema", required=True, param="text.format.schema"))


def read_tools(body: dict, prompt: Prompt, faults: frozenset[Fault] = frozenset()) -> list[Tool]:
    tools = []
    for i, spec in enumerate(v.array(body, "tools") or []):
        if not isinstance(spec, dict):
            raise v.wrong_type(f"tools[{i}]", "an object", spec)
        kind = v.string(spec, "type", required=True, param=f"tools[{i}].type")
        if kind == "function":
            name = v.string(spec, "name", required=True, param=f"tools[{i}].name")
            parameters = v.obj(spec, "parameters", param=f"tools[{i}].parameters")
            tools.append(Tool(name, parameters if parameters is not None else {"type": "object", "properties": {}}))
        elif kind == "file_search":
            read_file_search(spec, f"tools[{i}]", faults)
        prompt.describe(spec)
    return tools


def read_file_search(spec: dict, where: str, faults: frozenset[Fault]) -> None:
    """A built-in `file_search` tool is passed through to the search, as OpenAI does: the reference keeps no vector
    store, so a store it names is not found, a 404 about that store (OpenAI's NotFoundError: the resource does not
    exist), never a refusal of the tool."""
    if BUILTIN_TOOL_500 in faults:
        raise Crash("file_search is not wired to any search")
    if BUILTIN_TOOL_REFUSED in faults:
        raise invalid(f"{where}.type", "unsupported tool type file_search.", "unsupported_parameter")
    stores = v.array(spec, "vector_store_ids", param=f"{where}.vector_store_ids") or []
    for j, store in enumerate(stores):
        if not isinstance(store, str):
            raise v.wrong_type(f"{where}.vector_store_ids[{j}]", "a string", store)
    if stores:
        raise ApiError(404, f"Vector store with id {v.shown(stores[0], 80)} not found.", f"{where}.vector_store_ids")


def read_tool_choice(body: dict, tools: list[Tool]) -> tuple[str, str | None]:
    choice = body.get("tool_choice")
    if choice is None:
        return "auto", None
    if isinstance(choice, str):
        return v.one_of(choice, ("none", "auto", "required"), "tool_choice"), None
    if not isinstance(choice, dict):
        raise v.wrong_type("tool_choice", "a string or an object", choice)
    kind = v.string(choice, "type", required=True, param="tool_choice.type")
    if kind == "allowed_tools":
        return "auto", None
    if kind != "function":
        return "none", None  # a built-in tool was chosen: no function call
    name = v.string(choice, "name", required=True, param="tool_choice.name")
    if name not in {t.name for t in tools}:
        raise invalid("tool_choice", f"the function {v.shown(name)} is not among the tools.")
    return "required", name


def output_item(out: Output) -> dict:
    status = "incomplete" if out.finish == "length" else "completed"
    if out.tool:
        return {"type": "function_call", "id": new_id("fc_"), "call_id": new_id("call_"), "name": out.tool,
                "arguments": out.text, "status": status}
    return {"id": new_id("msg_"), "type": "message", "role": "assistant", "status": status,
            "content": [text_part(out.text)]}


def reasoning_item(thought: Thought, faults: frozenset[Fault] = frozenset()) -> dict:
    item: dict[str, Any] = {"id": new_id("rs_"), "type": "reasoning",
                            "summary": [summary_part(thought.summary)] if thought.summary is not None else []}
    if RESPONSES_REASONING_NO_SUMMARY in faults and not item["summary"]:
        del item["summary"]
    return item


def summary_part(text: str) -> dict:
    return {"type": "summary_text", "text": text}


def text_part(text: str) -> dict:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def response_usage(input_tokens: int, output_tokens: int, reasoning_tokens: int = 0) -> dict:
    return {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": input_tokens + output_tokens}


def response_object(body: dict, info: ModelInfo, out: Output, input_tokens: int,
                    faults: frozenset[Fault] = frozenset(), thought: Thought | None = None) -> dict:
    """The full response, echoing the request's settings the way OpenAI does, so SDKs parse it; a reasoning item
    first when the request asked for reasoning."""
    cut = out.finish == "length" and RESPONSES_CUT_BUT_COMPLETED not in faults
    item = output_item(out)
    if RESPONSES_CUT_BUT_COMPLETED in faults and item["status"] == "incomplete":
        item["status"] = "completed"
    if RESPONSES_FUNCTION_NO_ID in faults and out.tool and not body.get("stream"):
        del item["id"]
    text = body.get("text") if isinstance(body.get("text"), dict) else {}
    reasoning_tokens = thought.tokens if thought else 0
    usage = response_usage(input_tokens, reasoning_tokens + len(out.tokens), reasoning_tokens)
    if RESPONSES_USAGE_CHAT_NAMES in faults:
        usage = chat_usage(input_tokens, reasoning_tokens + len(out.tokens))
    if RESPONSES_USAGE_MISCOUNTED in faults:
        usage["total_tokens"] += 1
    if RESPONSES_REASONING_TOKENS_DROPPED in faults:
        usage.pop("output_tokens_details", None)
    asked = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    response = {
        "id": new_id("resp_"), "object": "response",
        "created_at": now() * 1000 if RESPONSES_CREATED_AT_MS in faults else now(),
        "status": "incomplete" if cut else "completed",
        "background": False, "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": info.id,
        "output": [reasoning_item(thought, faults), item] if thought else [item],
        "output_text": "" if out.tool else out.text,
        "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": asked.get("effort"), "summary": asked.get("summary")},
        "service_tier": "default",
        "store": body.get("store") is not False,
        "temperature": _or(body.get("temperature"), 1.0),
        "text": {**text, "format": text.get("format") or {"type": "text"}},
        "tool_choice": _or(body.get("tool_choice"), "auto"),
        "tools": body.get("tools") or [],
        "top_p": _or(body.get("top_p"), 1.0),
        "truncation": body.get("truncation") or "disabled",
        "usage": None if TOOLS_USAGE_NULL in faults and out.tool and not body.get("stream") else usage,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }
    if RESPONSES_NO_OUTPUT_TEXT in faults:
        del response["output_text"]
    return response


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


# Streaming ----------------------------------------------------------------------------------------

def stream_events(response: dict, faults: frozenset[Fault] = frozenset()) -> Iterator[bytes]:
    """The OpenAI event sequence for the response's items, numbered from 0, each `event:` line naming its type."""
    two_faults = RESPONSES_TWO_STREAM_FAULTS in faults
    for number, event in enumerate(events(response, faults)):
        data = {**event, "sequence_number": 0 if RESPONSES_SEQUENCE_REPEATS in faults else number}
        if two_faults:
            del data["sequence_number"]
        yield sse(data) if RESPONSES_NO_EVENT_LINES in faults else typed_sse(data)
    if two_faults:
        yield DONE


def events(response: dict, faults: frozenset[Fault] = frozenset()) -> Iterator[dict]:
    pending = {**response, "status": "in_progress", "incomplete_details": None, "output": [], "output_text": "",
               "usage": None}
    if RESPONSES_NO_CREATED not in faults:
        yield {"type": "response.created", "response": pending}
    yield {"type": "response.in_progress", "response": pending}
    for index, item in enumerate(response["output"]):
        yield from item_events(index, item, faults)
    terminal = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    if RESPONSES_FUNCTION_FINAL_OUTPUT_EMPTY in faults:
        response = {**response, "output": [i for i in response["output"] if i["type"] != "function_call"]}
    if RESPONSES_NO_TERMINAL not in faults:
        yield {"type": terminal, "response": response}


def item_events(index: int, item: dict, faults: frozenset[Fault] = frozenset()) -> Iterator[dict]:
    """An item's events: opened by output_item.added, its content streamed piece by piece, closed by
    output_item.done."""
    at = {"item_id": item["id"], "output_index": index}
    if item["type"] == "reasoning":
        if RESPONSES_REASONING_ITEM_UNOPENED not in faults:
            yield {"type": "response.output_item.added", "output_index": index, "item": {**item, "summary": []}}
        for number, part in enumerate(item.get("summary") or []):
            yield from summary_events({**at, "summary_index": number}, part["text"])
    elif item["type"] == "function_call":
        if RESPONSES_FUNCTION_NO_ITEM_ADDED not in faults:
            yield {"type": "response.output_item.added", "output_index": index,
                   "item": {**item, "arguments": "", "status": "in_progress"}}
        if RESPONSES_FUNCTION_DELTA_CALL_ID in faults:
            at = {**at, "item_id": item["call_id"]}
        for piece in tokenize(item["arguments"]):
            yield {"type": "response.function_call_arguments.delta", **at, "delta": piece}
        if RESPONSES_FUNCTION_NO_ARGUMENTS_DONE not in faults:
            yield {"type": "response.function_call_arguments.done", **at, "name": item["name"],
                   "arguments": item["arguments"]}
        if RESPONSES_FUNCTION_NO_ITEM_DONE in faults:
            return
    else:
        text = item["content"][0]["text"]
        part = {**at, "content_index": 0}
        yield {"type": "response.output_item.added", "output_index": index,
               "item": {**item, "status": "in_progress", "content": []}}
        yield {"type": "response.content_part.added", **part, "part": text_part("")}
        pieces = tokenize(text)
        for piece in pieces[:-1] if RESPONSES_DELTAS_SHORT in faults else pieces:
            delta = {"type": "response.output_text.delta", **part, "delta": piece, "logprobs": []}
            if RESPONSES_EVENT_OFF_SCHEMA in faults:
                del delta["item_id"]
            yield delta
        yield {"type": "response.output_text.done", **part, "text": text, "logprobs": []}
        yield {"type": "response.content_part.done", **part, "part": text_part(text)}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def summary_events(at: dict, text: str) -> Iterator[dict]:
    """One part of a reasoning summary: opened empty, its text in pieces, then whole twice (text, part)."""
    yield {"type": "response.reasoning_summary_part.added", **at, "part": summary_part("")}
    for piece in tokenize(text):
        yield {"type": "response.reasoning_summary_text.delta", **at, "delta": piece}
    yield {"type": "response.reasoning_summary_text.done", **at, "text": text}
    yield {"type": "response.reasoning_summary_part.done", **at, "part": summary_part(text)}


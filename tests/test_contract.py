"""The contract: a valid OpenAPI document whose examples and seed streams conform, and
whose validator names the field when a body breaks it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
import requests
import schemathesis
from openapi_spec_validator import validate as validate_openapi

from conformance.catalogue.contract import Problem, contract_path, document, schema_names, validate, validator

DATA = Path(__file__).parent / "data"
SCHEMAS = "#/components/schemas/"
EVENT_STREAM = "text/event-stream"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
OPENAI_PATHS = ["/models", "/chat/completions", "/completions", "/responses"]
ERROR_STATUSES = ["400", "401", "404", "429", "5XX"]
PUBLIC_NAMES = [
    "ModelList", "Model", "ChatCompletionRequest", "ChatCompletion", "ChatCompletionChunk", "ChatUsage",
    "CompletionRequest", "Completion", "ResponseRequest", "Response", "ResponseUsage", "ResponseStreamEvent",
    "MessageRequest", "Message", "MessageUsage", "MessageStreamEvent", "OpenAIError", "AnthropicError",
    "ChatCompletionSSE", "ResponseSSE", "MessageSSE",
]  # fmt: skip


def sse_events(text: str) -> list[dict[str, str]]:
    """Just enough SSE for well-formed test streams: blocks split on blank lines, `field: value` lines."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event: dict[str, str] = {}
        data = []
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name in ("event", "id"):
                event[name] = value
        event["data"] = "\n".join(data)
        events.append(event)
    return events


def payloads(text: str) -> list[Any]:
    return [json.loads(e["data"]) for e in sse_events(text) if e["data"] != "[DONE]"]


def resolve(node: dict) -> dict:
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def media_examples() -> Iterator[tuple[str, str, str, Any]]:
    """(id, media type, schema name, value) for every example of every request and response body."""
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            bodies = []
            if "requestBody" in operation:
                bodies.append(("request", resolve(operation["requestBody"])))
            bodies += [(status, resolve(response)) for status, response in operation["responses"].items()]
            for where, body in bodies:
                for media, media_object in body.get("content", {}).items():
                    name = media_object["schema"]["$ref"].removeprefix(SCHEMAS)
                    examples = {k: v["value"] for k, v in media_object.get("examples", {}).items()}
                    if "example" in media_object:
                        examples["example"] = media_object["example"]
                    for key, value in examples.items():
                        yield f"{method.upper()} {path} {where} {media} {key}", media, name, value


def schema_keyword_examples() -> Iterator[tuple[str, dict, Any]]:
    """(pointer, subschema, value) for every JSON Schema `examples` entry in components."""

    def walk(pointer: str, schema: Any) -> Iterator[tuple[str, dict, Any]]:
        if not isinstance(schema, dict):
            return
        for value in schema.get("examples", []):
            yield pointer, schema, value
        for keyword in ("items", "additionalProperties", "if", "then", "else", "not", "contentSchema"):
            yield from walk(f"{pointer}/{keyword}", schema.get(keyword))
        for keyword in ("allOf", "anyOf", "oneOf"):
            for index, sub in enumerate(schema.get(keyword, [])):
                yield from walk(f"{pointer}/{keyword}/{index}", sub)
        for name, sub in schema.get("properties", {}).items():
            yield from walk(f"{pointer}/properties/{name}", sub)

    for name, schema in document()["components"]["schemas"].items():
        yield from walk(f"{SCHEMAS}{name}", schema)


MEDIA_EXAMPLES = list(media_examples())
KEYWORD_EXAMPLES = list(schema_keyword_examples())


def only(problems: list[Problem], path: str) -> list[Problem]:
    return [p for p in problems if p.path == path]


# ------------------------------------------------------------------ the document


def test_document_is_valid_openapi_3_1():
    assert document()["openapi"].startswith("3.1")
    validate_openapi(copy.deepcopy(document()))


def test_document_is_loaded_once_from_the_repository():
    assert document() is document()
    assert contract_path() == Path(__file__).resolve().parent.parent / "openapi" / "crun.yaml"


def test_servers_paths_and_security():
    doc = document()
    assert doc["servers"][0]["url"] == "https://api.crun.ai/api/v1"
    assert set(doc["paths"]) == {"/models", "/chat/completions", "/completions", "/responses", "/messages"}
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKeyAuth"] == {**schemes["apiKeyAuth"], "type": "apiKey", "in": "header", "name": "X-API-KEY"}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert operation["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}], f"{method} {path}"


def test_public_schema_names_exist():
    assert set(PUBLIC_NAMES) <= set(schema_names())


@pytest.mark.parametrize("name", schema_names())
def test_every_component_is_a_valid_2020_12_schema(name):
    jsonschema.Draft202012Validator.check_schema(document()["components"]["schemas"][name])


@pytest.mark.parametrize("path", [*OPENAI_PATHS, "/messages"])
def test_every_operation_declares_its_error_shape(path):
    operation = next(op for method, op in document()["paths"][path].items() if method in METHODS)
    wanted = "AnthropicError" if path == "/messages" else "OpenAIError"
    for status in ERROR_STATUSES:
        schema = resolve(operation["responses"][status])["content"]["application/json"]["schema"]
        assert schema == {"$ref": SCHEMAS + wanted}, f"{path} {status}"


def test_streams_are_declared_where_the_pages_say():
    paths = document()["paths"]
    media = {path: set(next(iter(item.values()))["responses"]["200"]["content"]) for path, item in paths.items()}
    assert media["/completions"] == {"application/json"}
    assert media["/models"] == {"application/json"}
    for path in ("/chat/completions", "/responses", "/messages"):
        assert media[path] == {"application/json", EVENT_STREAM}


def test_sse_wrappers_use_anyof_with_a_content_schema():
    for name, payload in [
        ("ChatCompletionSSE", "ChatStreamData"),
        ("ResponseSSE", "ResponseStreamEvent"),
        ("MessageSSE", "MessageStreamEvent"),
    ]:
        data = document()["components"]["schemas"][name]["properties"]["data"]
        assert "oneOf" not in data
        done, json_branch = data["anyOf"]
        assert done == {"const": "[DONE]"}
        assert json_branch["contentMediaType"] == "application/json"
        assert json_branch["contentSchema"] == {"$ref": SCHEMAS + payload}


# ------------------------------------------------------------------ examples


def test_the_seed_examples_are_all_in_the_document():
    ids = {example_id for example_id, *_ in MEDIA_EXAMPLES}
    expected = {
        "GET /models 200 application/json quickstart",
        "POST /chat/completions request application/json quickstart",
        "POST /chat/completions request application/json conversation_history",
        "POST /chat/completions request application/json streaming",
        "POST /chat/completions request application/json crazyrouter_basic",
        "POST /chat/completions request application/json crazyrouter_streaming",
        "POST /chat/completions 200 application/json quickstart",
        "POST /chat/completions 200 application/json crazyrouter",
        "POST /chat/completions 200 text/event-stream crun_overview_en",
        "POST /chat/completions 200 text/event-stream crun_quickstart_zh",
        "POST /chat/completions 200 text/event-stream crazyrouter",
        "POST /responses request application/json quickstart",
        "POST /responses request application/json basic",
        "POST /responses request application/json message_input",
        "POST /responses request application/json image_input",
        "POST /responses request application/json file_input",
        "POST /responses request application/json stateful_first",
        "POST /responses request application/json stateful_follow_up",
        "POST /responses request application/json structured_output",
        "POST /responses request application/json tools_file_search",
        "POST /responses request application/json streaming",
        "POST /responses 200 application/json quickstart",
        "POST /responses 200 application/json basic",
    }
    assert expected <= ids, sorted(expected - ids)
    assert len(KEYWORD_EXAMPLES) >= 20


@pytest.mark.parametrize(("media", "name", "value"), [e[1:] for e in MEDIA_EXAMPLES], ids=[e[0] for e in MEDIA_EXAMPLES])
def test_every_media_type_example_conforms(media, name, value):
    if media == EVENT_STREAM:
        events = sse_events(value)
        assert events, "an empty stream example"
        for index, event in enumerate(events):
            assert validate(name, event) == [], f"event #{index}: {event['data'][:80]}"
    else:
        assert validate(name, value) == []


@pytest.mark.parametrize(
    ("schema", "value"), [e[1:] for e in KEYWORD_EXAMPLES], ids=[f"{e[0]} {json.dumps(e[2])[:40]}" for e in KEYWORD_EXAMPLES]
)
def test_every_schema_keyword_example_conforms(schema, value):
    root = {**schema, "components": document()["components"]}
    assert list(jsonschema.Draft202012Validator(root).iter_errors(value)) == []


# ------------------------------------------------------------------ the seed streams


def test_repository_copies_of_the_seed_streams_match_the_document():
    examples = document()["paths"]["/chat/completions"]["post"]["responses"]["200"]["content"][EVENT_STREAM]["examples"]
    assert (DATA / "crun_chat_stream.sse").read_text(encoding="utf-8") == examples["crun_overview_en"]["value"]
    assert (DATA / "crazyrouter_chat_stream.sse").read_text(encoding="utf-8") == examples["crazyrouter"]["value"]


def test_crun_seed_stream_validates_chunk_by_chunk():
    raw = (DATA / "crun_chat_stream.sse").read_bytes()
    assert raw.endswith(b"data: [DONE]\n\n")
    events = sse_events(raw.decode("utf-8"))
    assert len(events) == 38
    assert events[-1]["data"] == "[DONE]"
    chunks = [json.loads(e["data"]) for e in events[:-1]]
    assert all(c["id"] == "" and c["created"] == 0 and "finish_reason" not in c["choices"][0] for c in chunks[:-1])
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["usage"]["total_tokens"] == 57
    for index, chunk in enumerate(chunks):
        assert validate("ChatCompletionChunk", chunk) == [], f"chunk #{index}"
    for event in events:
        assert validate("ChatCompletionSSE", event) == []


def test_crazyrouter_seed_stream_validates_including_the_usage_only_chunk():
    chunks = payloads((DATA / "crazyrouter_chat_stream.sse").read_text(encoding="utf-8"))
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 60
    assert [validate("ChatCompletionChunk", c) for c in chunks] == [[]] * len(chunks)


def _schemathesis_check(path: str, body: dict, content: bytes) -> None:
    case = schemathesis.openapi.from_dict(copy.deepcopy(document()))[path]["POST"].Case(body=body)
    request = requests.Request("POST", "https://api.crun.ai/api/v1" + path, json=body).prepare()
    response = schemathesis.Response(200, {"content-type": [EVENT_STREAM]}, content, request, 0.1, True)
    case.validate_response(response, checks=[schemathesis.checks.response_schema_conformance])


def test_schemathesis_reads_the_stream_form():
    body = {"model": "gpt-5.4", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    raw = (DATA / "crun_chat_stream.sse").read_bytes()
    _schemathesis_check("/chat/completions", body, raw)
    broken = raw.replace(b'"object":"chat.completion.chunk"', b'"object":"chat.completion"', 1)
    with pytest.raises(BaseException, match="SSE event violates schema"):
        _schemathesis_check("/chat/completions", body, broken)


# ------------------------------------------------------------------ positive cases

CHAT_COMPLETION_WITH_TOOLS = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1772294400, "model": "gpt-4o-mini",
    "system_fingerprint": None, "service_tier": "default",
    "choices": [{
        "index": 0, "logprobs": None, "finish_reason": "tool_calls",
        "message": {"role": "assistant", "content": None, "refusal": None, "annotations": [],
                    "tool_calls": [{"id": "call_1", "type": "function",
                                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
    }],
    "usage": {"prompt_tokens": 52, "completion_tokens": 17, "total_tokens": 69,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0}},
}  # fmt: skip

RESPONSE_EVENTS = [
    {"type": "response.created", "sequence_number": 0, "response": {
        "id": "resp_1", "object": "response", "created_at": 1772294400, "status": "in_progress",
        "model": "gpt-5.4", "output": [], "usage": None, "error": None, "incomplete_details": None}},
    {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
     "item": {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []}},
    {"type": "response.content_part.added", "sequence_number": 2, "item_id": "msg_1", "output_index": 0,
     "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}},
    {"type": "response.output_text.delta", "sequence_number": 3, "item_id": "msg_1", "output_index": 0,
     "content_index": 0, "delta": "Hi", "logprobs": []},
    {"type": "response.output_text.done", "sequence_number": 4, "item_id": "msg_1", "output_index": 0,
     "content_index": 0, "text": "Hi"},
    {"type": "response.reasoning_summary_text.delta", "sequence_number": 5, "item_id": "rs_1",
     "output_index": 1, "summary_index": 0, "delta": "Thinking"},
    {"type": "response.function_call_arguments.delta", "sequence_number": 6, "item_id": "fc_1",
     "output_index": 2, "delta": "{\"city\":"},
    {"type": "response.function_call_arguments.done", "sequence_number": 7, "item_id": "fc_1",
     "output_index": 2, "arguments": "{\"city\":\"Paris\"}"},
    {"type": "response.output_item.done", "sequence_number": 8, "output_index": 2,
     "item": {"id": "fc_1", "type": "function_call", "status": "completed", "call_id": "call_1",
              "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
    {"type": "response.completed", "sequence_number": 9, "response": {
        "id": "resp_1", "object": "response", "created_at": 1772294400, "status": "completed", "model": "gpt-5.4",
        "output": [{"id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}],
        "output_text": "Hi", "usage": {"input_tokens": 5, "output_tokens": 1, "total_tokens": 6,
                                       "input_tokens_details": {"cached_tokens": 0},
                                       "output_tokens_details": {"reasoning_tokens": 0}}}},
    {"type": "error", "sequence_number": 10, "code": "server_error", "message": "upstream failed", "param": None},
]  # fmt: skip

MESSAGE_EVENTS = [
    {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm."}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "sig"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "ping"},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hello"}},
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2,
     "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"city\""}},
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
     "usage": {"output_tokens": 30}},
    {"type": "message_stop"},
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
]  # fmt: skip

POSITIVE = [
    ("ChatCompletion", CHAT_COMPLETION_WITH_TOOLS),
    ("ChatUsage", {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}),
    ("ChatCompletionChunk", {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [
        {"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                               "function": {"name": "f", "arguments": ""}}]},
         "finish_reason": None, "logprobs": None}], "usage": None}),
    ("ChatCompletionRequest", {"model": "gpt-5.4", "messages": [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "42"}],
        "temperature": 2, "top_p": 0, "n": 8, "stop": ["a", "b", "c", "d"], "max_tokens": 1,
        "max_completion_tokens": 1, "presence_penalty": -2, "frequency_penalty": 2, "logprobs": True,
        "top_logprobs": 20, "seed": 7, "user": "u", "stream": True, "stream_options": {"include_usage": True},
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        "tool_choice": {"type": "function", "function": {"name": "f"}}, "unknown_passthrough": {"any": 1}}),
    ("CompletionRequest", {"model": "m", "prompt": ["a", "b"], "max_tokens": 1, "stop": "\n"}),
    ("Completion", {"id": "cmpl_1", "object": "text_completion", "created": 1, "model": "m",
                    "choices": [{"text": "x", "index": 0, "logprobs": None, "finish_reason": "length"}]}),
    ("ResponseRequest", {"model": "m", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "x"},
                                     {"type": "input_image", "file_id": "file_1"},
                                     {"type": "input_file", "file_id": "file_2"}]},
        {"type": "function_call_output", "call_id": "call_1", "output": "42"}],
        "prompt_cache_retention": "24h", "truncation": "disabled", "metadata": {"k": "v"},
        "reasoning": {"effort": "low"}, "parallel_tool_calls": False, "max_output_tokens": 16,
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}], "tool_choice": "required"}),
    ("ResponseUsage", {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}),
    ("MessageRequest", {"model": "claude-sonnet-4-5", "max_tokens": 1, "temperature": 1, "top_p": 0.5, "top_k": 5,
                        "system": [{"type": "text", "text": "Be brief."}], "stop_sequences": ["END"],
                        "metadata": {"user_id": "u"}, "tool_choice": {"type": "tool", "name": "f"},
                        "messages": [{"role": "user", "content": "hi"},
                                     {"role": "assistant", "content": [
                                         {"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
                                     {"role": "user", "content": [
                                         {"type": "tool_result", "tool_use_id": "t1", "content": "42"}]}]}),
    ("Message", {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "stop_reason": "max_tokens",
                 "stop_sequence": None, "content": [{"type": "text", "text": "x"}],
                 "usage": {"input_tokens": 1, "output_tokens": 1, "cache_read_input_tokens": None}}),
    ("MessageUsage", {"input_tokens": 0, "output_tokens": 0}),
    ("OpenAIError", {"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}}),
    ("AnthropicError", {"type": "error", "error": {"type": "not_found_error", "message": "no such model"}}),
    ("ModelList", {"object": "list", "data": []}),
    ("ChatCompletionSSE", {"event": "message", "data": json.dumps({"error": {"message": "x", "type": "server_error"}})}),
    *[("ResponseStreamEvent", event) for event in RESPONSE_EVENTS],
    *[("MessageStreamEvent", event) for event in MESSAGE_EVENTS],
    *[("ResponseSSE", {"event": e["type"], "data": json.dumps(e)}) for e in RESPONSE_EVENTS],
    *[("MessageSSE", {"event": e["type"], "data": json.dumps(e)}) for e in MESSAGE_EVENTS],
]  # fmt: skip


@pytest.mark.parametrize(("name", "instance"), POSITIVE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(POSITIVE)])
def test_conforming_instances_pass(name, instance):
    assert validate(name, instance) == []


# ------------------------------------------------------------------ negative cases

CHUNK = {"id": "", "object": "chat.completion.chunk", "created": 0, "model": "gpt-5.4",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": "S"}}]}  # fmt: skip
USAGE = {"prompt_tokens": 17, "completion_tokens": 40, "total_tokens": 57}
CHAT_REQUEST = {"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]}
RESPONSE_REQUEST = {"model": "gpt-5.4", "input": "hi"}
MESSAGE_REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
RESPONSE = {"id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": "m", "output": []}
MESSAGE = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [],
           "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}}  # fmt: skip
TEXT_DELTA = {"type": "response.output_text.delta", "sequence_number": 3, "item_id": "msg_1", "output_index": 0,
              "content_index": 0, "delta": "x"}  # fmt: skip


def without(mapping: dict, key: str) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


NEGATIVE = [
    # (schema, instance, path of the problem, words its `expected` must contain)
    ("ChatCompletionChunk", {**CHUNK, "object": "chat.completion"}, "$.object", "chat.completion.chunk"),
    ("ChatCompletionChunk", {**CHUNK, "usage": without(USAGE, "total_tokens")}, "$.usage", "'total_tokens' present"),
    ("ChatUsage", without(USAGE, "total_tokens"), "$", "'total_tokens' present"),
    ("ChatUsage", {**USAGE, "prompt_tokens": True}, "$.prompt_tokens", "an integer"),
    ("ChatUsage", {**USAGE, "completion_tokens": -1}, "$.completion_tokens", "an integer >= 0"),
    ("ChatCompletionChunk", {**CHUNK, "usage": {**USAGE, "prompt_tokens": "17"}}, "$.usage.prompt_tokens", "an integer"),
    ("ChatCompletionChunk", {**CHUNK, "usage": "57"}, "$.usage", "an object or null"),
    ("ChatCompletionChunk", {**CHUNK, "choices": [{**CHUNK["choices"][0], "finish_reason": "foo"}]},
     "$.choices[0].finish_reason", "one of [\"stop\", \"length\""),
    ("ChatCompletionChunk", without(CHUNK, "choices"), "$", "'choices' present"),
    ("ChatCompletionChunk", {**CHUNK, "created": "0"}, "$.created", "an integer"),
    ("ChatCompletionChunk", {**CHUNK, "choices": [{"delta": {}}]}, "$.choices[0]", "'index' present"),
    ("ChatCompletionChunk", {**CHUNK, "choices": [{"index": 0, "delta": {"content": 5}}]},
     "$.choices[0].delta.content", "a string or null"),
    ("ChatCompletion", {**CHAT_COMPLETION_WITH_TOOLS, "object": "chat.completion.chunk"}, "$.object", "\"chat.completion\""),
    ("ChatCompletion", {**CHAT_COMPLETION_WITH_TOOLS, "choices": [
        {**CHAT_COMPLETION_WITH_TOOLS["choices"][0], "finish_reason": None}]}, "$.choices[0].finish_reason", "one of"),
    ("ChatCompletion", {**CHAT_COMPLETION_WITH_TOOLS, "usage": without(USAGE, "prompt_tokens")},
     "$.usage", "'prompt_tokens' present"),
    ("OpenAIError", {"error": {"type": "invalid_request_error", "code": "model_not_found"}}, "$.error", "'message' present"),
    ("OpenAIError", {"message": "flat"}, "$", "'error' present"),
    ("OpenAIError", {"error": {"message": "x", "type": "y", "code": 404}}, "$.error.code", "a string or null"),
    ("AnthropicError", {"type": "error", "error": {"type": "api_error"}}, "$.error", "'message' present"),
    ("AnthropicError", {"type": "failure", "error": {"type": "x", "message": "y"}}, "$.type", "\"error\""),
    ("ResponseStreamEvent", without(TEXT_DELTA, "type"), "$", "'type' present"),
    ("ResponseStreamEvent", without(TEXT_DELTA, "sequence_number"), "$", "'sequence_number' present"),
    ("ResponseStreamEvent", {**TEXT_DELTA, "sequence_number": "3"}, "$.sequence_number", "an integer"),
    ("ResponseStreamEvent", without(TEXT_DELTA, "delta"), "$", "'delta' present"),
    ("ResponseStreamEvent", {**TEXT_DELTA, "type": "delta"}, "$.type", "matching"),
    ("ResponseStreamEvent", {"type": "response.completed", "sequence_number": 9}, "$", "'response' present"),
    ("ResponseStreamEvent", {"type": "response.completed", "sequence_number": 9,
                             "response": {**RESPONSE, "usage": {"input_tokens": 1, "output_tokens": 1}}},
     "$.response.usage", "'total_tokens' present"),
    ("ResponseStreamEvent", {"type": "error", "sequence_number": 1}, "$", "'message' present"),
    ("MessageStreamEvent", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}, "$", "'usage' present"),
    ("MessageStreamEvent", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}},
     "$.usage", "'output_tokens' present"),
    ("MessageStreamEvent", {"type": "message_delta", "usage": {"output_tokens": 1}}, "$", "'delta' present"),
    ("MessageStreamEvent", {"index": 0}, "$", "'type' present"),
    ("MessageStreamEvent", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}},
     "$.delta", "'text' present"),
    ("MessageStreamEvent", {"type": "message_start", "message": without(MESSAGE, "usage")},
     "$.message", "'usage' present"),
    ("ChatCompletionRequest", without(CHAT_REQUEST, "messages"), "$", "'messages' present"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "messages": []}, "$.messages", "at least 1 item"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "model": ""}, "$.model", "at least 1 character"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "model": "m" * 129}, "$.model", "at most 128 characters"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "temperature": 2.5}, "$.temperature", "a number <= 2"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "top_p": 1.5}, "$.top_p", "a number <= 1"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "n": 9}, "$.n", "an integer <= 8"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "max_tokens": 0}, "$.max_tokens", "an integer >= 1"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "max_completion_tokens": 0}, "$.max_completion_tokens", ">= 1"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "presence_penalty": -2.5}, "$.presence_penalty", ">= -2"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "frequency_penalty": 3}, "$.frequency_penalty", "<= 2"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "stop": list("abcde")}, "$.stop", "at most 4 items"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "logprobs": 1}, "$.logprobs", "a boolean"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "top_logprobs": 21}, "$.top_logprobs", "<= 20"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "response_format": {"type": "xml"}}, "$.response_format.type", "json_schema"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "response_format": {"type": "json_schema"}},
     "$.response_format", "'json_schema' present"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "messages": [{"role": "robot", "content": "x"}]},
     "$.messages[0].role", "one of"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "messages": [{"role": "tool", "content": "x"}]},
     "$.messages[0]", "'tool_call_id' present"),
    ("ChatCompletionRequest", {**CHAT_REQUEST, "stream_options": {"include_usage": "yes"}},
     "$.stream_options.include_usage", "a boolean"),
    ("CompletionRequest", {"model": "m"}, "$", "'prompt' present"),
    ("Completion", {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []},
     "$.object", "text_completion"),
    ("ResponseRequest", without(RESPONSE_REQUEST, "input"), "$", "'input' present"),
    ("ResponseRequest", {**RESPONSE_REQUEST, "prompt_cache_retention": "1h"}, "$.prompt_cache_retention", "24h"),
    ("ResponseRequest", {**RESPONSE_REQUEST, "max_output_tokens": 0}, "$.max_output_tokens", ">= 1"),
    ("ResponseRequest", {**RESPONSE_REQUEST, "temperature": 3}, "$.temperature", "<= 2"),
    ("ResponseRequest", {**RESPONSE_REQUEST, "input": [{"role": "user", "content": [{"type": "input_image"}]}]},
     "$.input[0].content[0]", "'image_url' present or property 'file_id' present"),
    ("ResponseRequest", {**RESPONSE_REQUEST, "input": [{"role": "user", "content": [{"type": "input_text"}]}]},
     "$.input[0].content[0]", "'text' present"),
    ("ResponseRequest", {**RESPONSE_REQUEST, "text": {"format": {"type": "json_schema", "schema": {}}}},
     "$.text.format", "'name' present"),
    ("ResponseRequest", {**RESPONSE_REQUEST, "store": "yes"}, "$.store", "a boolean or null"),
    ("Response", without(RESPONSE, "output"), "$", "'output' present"),
    ("Response", {**RESPONSE, "object": "chat.completion"}, "$.object", "\"response\""),
    ("Response", {**RESPONSE, "output_text": 5}, "$.output_text", "a string"),
    ("ResponseUsage", {"input_tokens": 1, "output_tokens": 1}, "$", "'total_tokens' present"),
    ("MessageRequest", without(MESSAGE_REQUEST, "max_tokens"), "$", "'max_tokens' present"),
    ("MessageRequest", {**MESSAGE_REQUEST, "temperature": 1.5}, "$.temperature", "a number <= 1"),
    ("MessageRequest", {**MESSAGE_REQUEST, "top_k": -1}, "$.top_k", ">= 0"),
    ("MessageRequest", {**MESSAGE_REQUEST, "thinking": {"type": "enabled"}}, "$.thinking", "'budget_tokens' present"),
    ("MessageRequest", {**MESSAGE_REQUEST, "messages": [{"role": "system", "content": "x"}]},
     "$.messages[0].role", "one of"),
    ("Message", {**MESSAGE, "usage": {"input_tokens": 1}}, "$.usage", "'output_tokens' present"),
    ("Message", {**MESSAGE, "type": "chat.completion"}, "$.type", "\"message\""),
    ("MessageUsage", {"input_tokens": 1, "output_tokens": 1.5}, "$.output_tokens", "an integer"),
    ("ModelList", {"object": "models", "data": []}, "$.object", "\"list\""),
    ("ModelList", {"object": "list", "data": [{"id": "m", "object": "model", "created": 1}]},
     "$.data[0]", "'owned_by' present"),
    ("ChatCompletionSSE", {"event": "message", "data": json.dumps({**CHUNK, "object": "x"})}, "$.data.object", "chunk"),
    ("ChatCompletionSSE", {"event": "message", "data": "{not json"}, "$.data", "JSON"),
    ("ChatCompletionSSE", {"event": "message"}, "$", "'data' present"),
    ("ResponseSSE", {"event": "response.output_text.delta", "data": json.dumps(without(TEXT_DELTA, "type"))},
     "$.data", "'type' present"),
    ("MessageSSE", {"event": "message_delta", "data": json.dumps({"type": "message_delta", "delta": {"stop_reason": None}})},
     "$.data", "'usage' present"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "instance", "path", "expected"), NEGATIVE, ids=[f"{n[0]}-{n[2]}-{i}" for i, n in enumerate(NEGATIVE)]
)
def test_broken_instances_fail_naming_the_field(name, instance, path, expected):
    problems = validate(name, instance)
    assert problems, "accepted a broken instance"
    assert any(expected in p.expected for p in only(problems, path)), [str(p) for p in problems]


def test_problem_reads_as_where_expected_got():
    (problem,) = validate("ChatUsage", {"prompt_tokens": 1, "completion_tokens": 1})
    assert problem == Problem("$", "property 'total_tokens' present", '{"prompt_tokens": 1, "completion_tokens": 1}')
    assert str(problem) == "$: expected property 'total_tokens' present, got {\"prompt_tokens\": 1, \"completion_tokens\": 1}"
    (problem,) = validate("ChatCompletionChunk", {**CHUNK, "choices": [{**CHUNK["choices"][0], "finish_reason": "foo"}]})
    assert str(problem) == (
        '$.choices[0].finish_reason: expected one of ["stop", "length", "tool_calls", "content_filter", '
        '"function_call", null], got "foo"'
    )


def test_actual_is_truncated():
    (problem,) = validate("ChatCompletionChunk", {**CHUNK, "model": "x" * 500, "object": "y" * 500})
    assert problem.path == "$.object"
    assert len(problem.actual) <= 120 and problem.actual.endswith("…")


def test_every_problem_is_reported_not_just_the_first():
    problems = validate("ChatCompletionChunk", {"object": "chat.completion", "choices": "none"})
    paths = {p.path for p in problems}
    assert {"$", "$.object", "$.choices"} <= paths
    missing = {p.expected for p in only(problems, "$")}
    assert {"property 'id' present", "property 'created' present", "property 'model' present"} <= missing


def test_non_json_values_are_judged_not_crashed_on():
    assert validate("ChatUsage", {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2**80}) == []
    problems = validate("ChatUsage", {"prompt_tokens": (1,), "completion_tokens": 1, "total_tokens": 2})
    assert only(problems, "$.prompt_tokens")


def test_unknown_schema_name_is_a_clear_key_error():
    with pytest.raises(KeyError, match="no schema named 'ChatChunk'.*ChatCompletionChunk"):
        validate("ChatChunk", {})


def test_validators_are_compiled_once():
    assert validator("ChatCompletionChunk") is validator("ChatCompletionChunk")

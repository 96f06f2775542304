"""The reference server on the wire, with plain httpx: auth, stream bytes, determinism, limits, errors."""

from __future__ import annotations

import json

import httpx
import jsonschema
import pytest

from conformance.catalogue import contract
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reference.model import count_tokens

KEY = ReferenceConfig().api_key
GPT = "gpt-5.4"
CLAUDE = "claude-sonnet-4-5"
HI = [{"role": "user", "content": "Reply with one short sentence about keyboards."}]
ENDPOINTS = {
    "models": ("GET", "/models", None),
    "chat": ("POST", "/chat/completions", {"model": GPT, "messages": HI}),
    "completions": ("POST", "/completions", {"model": GPT, "prompt": "Say hi"}),
    "responses": ("POST", "/responses", {"model": GPT, "input": "Say hi"}),
    "messages": ("POST", "/messages", {"model": CLAUDE, "max_tokens": 32, "messages": HI}),
}
VOLATILE = {"id", "created", "created_at", "call_id"}


@pytest.fixture(scope="module")
def server():
    with ReferenceServer() as running:
        yield running


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}) as client:
        yield client


def conforms(schema: str, instance: object) -> None:
    assert contract.validate(schema, instance) == [], f"not a valid {schema}: {instance}"


def openai_error(response: httpx.Response, status: int, param: str | None = "-") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    conforms("OpenAIError", response.json())
    error = response.json()["error"]
    if param != "-":
        assert error["param"] == param, error
    return error


def anthropic_error(response: httpx.Response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    conforms("AnthropicError", body)
    assert body["type"] == "error" and body["error"]["type"] == kind
    return body["error"]


def sse_events(response: httpx.Response) -> list[tuple[str | None, str]]:
    """(event name, data) per event, asserting the framing byte by byte: `event:`? `data:` blank line."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream"
    raw = response.content
    assert raw.endswith(b"\n\n")
    out = []
    for block in raw[:-2].split(b"\n\n"):
        lines = block.decode().split("\n")
        name = lines.pop(0).removeprefix("event: ") if lines[0].startswith("event: ") else None
        assert len(lines) == 1 and lines[0].startswith("data: "), block
        out.append((name, lines[0].removeprefix("data: ")))
    return out


def without_volatile(value):
    """A body with ids and timestamps removed, to compare two answers to the same request."""
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_volatile(v) for v in value]
    return value


def chat(http, **fields):
    return http.post("/chat/completions", json={"model": GPT, "messages": HI, **fields})


# Authentication on every endpoint

def call(http, endpoint: str, headers: dict[str, str]) -> httpx.Response:
    method, path, body = ENDPOINTS[endpoint]
    request = http.build_request(method, path, json=body)
    del request.headers["Authorization"]
    request.headers.update(headers)
    return http.send(request)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("headers", [
    {"Authorization": f"Bearer {KEY}"}, {"authorization": f"bearer {KEY}"},
    {"X-API-KEY": KEY}, {"x-api-key": KEY},
], ids=["bearer", "bearer-lowercase", "X-API-KEY", "x-api-key"])
def test_key_accepted(http, endpoint, headers):
    assert call(http, endpoint, headers).status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer not-the-key-123"}, {"X-API-KEY": "not-the-key-123"},
    {"Authorization": f"Basic {KEY}"}, {"Authorization": "Bearer"},
], ids=["missing", "wrong-bearer", "wrong-x-api-key", "not-bearer", "empty-bearer"])
def test_key_refused(http, endpoint, headers):
    response = call(http, endpoint, headers)
    if endpoint == "messages":
        anthropic_error(response, 401, "authentication_error")
    else:
        error = openai_error(response, 401, None)
        assert error["code"] == "invalid_api_key"
    assert b"not-the-key-123" not in response.content and KEY.encode() not in response.content


# Models

def test_models(http):
    body = http.get("/models").json()
    conforms("ModelList", body)
    assert body == {"object": "list", "data": [
        {"id": "gpt-5.4", "object": "model", "created": 1772294400, "owned_by": "OpenAI"},
        {"id": "claude-sonnet-4-5", "object": "model", "created": 1772294400, "owned_by": "Anthropic"},
        {"id": "gemini-3.1-pro-preview", "object": "model", "created": 1772294400, "owned_by": "Google"},
        {"id": "crun-echo", "object": "model", "created": 1772294400, "owned_by": "crun-conformance"},
        {"id": "crun-terse", "object": "model", "created": 1772294400, "owned_by": "crun-conformance"},
    ]}


# Chat completions

def test_chat_completion_shape(http):
    body = chat(http).json()
    conforms("ChatCompletion", body)
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["completion_tokens"] == count_tokens(choice["message"]["content"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_stream_bytes(http):
    events = sse_events(chat(http, stream=True))
    assert all(name is None for name, _ in events)
    assert events[-1][1] == "[DONE]" and all(data != "[DONE]" for _, data in events[:-1])
    chunks = [json.loads(data) for _, data in events[:-1]]
    for chunk in chunks:
        conforms("ChatCompletionChunk", chunk)
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content_chunks = chunks[:-1]
    assert [c["choices"][0]["finish_reason"] for c in content_chunks if c["choices"][0]["finish_reason"]] == ["stop"]
    usage = chunks[-1]  # sent although stream_options.include_usage was not asked for
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == (
        usage["usage"]["prompt_tokens"] + usage["usage"]["completion_tokens"])
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in content_chunks)
    assert len(content_chunks) == usage["usage"]["completion_tokens"] + 2  # role chunk, a token each, finish
    assert text == chat(http).json()["choices"][0]["message"]["content"]  # stream and body say the same


@pytest.mark.parametrize("include_usage,expected", [(True, 1), (False, 0), (None, 1)])
def test_chat_stream_usage_option(http, include_usage, expected):
    options = {"stream_options": {"include_usage": include_usage}} if include_usage is not None else {}
    chunks = [json.loads(d) for _, d in sse_events(chat(http, stream=True, **options))[:-1]]
    assert sum(1 for c in chunks if c.get("usage")) == expected


def test_chat_stream_n(http):
    chunks = [json.loads(d) for _, d in sse_events(chat(http, stream=True, n=3, max_tokens=4))[:-1]]
    finishes = [(c["choices"][0]["index"], c["choices"][0]["finish_reason"]) for c in chunks
                if c["choices"] and c["choices"][0]["finish_reason"]]
    assert sorted(finishes) == [(0, "length"), (1, "length"), (2, "length")]
    assert chunks[-1]["usage"]["completion_tokens"] == 12


def test_chat_n(http):
    body = chat(http, n=8).json()
    assert [c["index"] for c in body["choices"]] == list(range(8))
    assert len({c["message"]["content"] for c in body["choices"]}) > 1  # each choice its own reply
    assert body["usage"]["completion_tokens"] == sum(count_tokens(c["message"]["content"]) for c in body["choices"])


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_chat_max_tokens_cuts(http, field):
    body = chat(http, **{field: 1}).json()
    assert body["choices"][0]["finish_reason"] == "length" and body["usage"]["completion_tokens"] == 1


def test_chat_max_tokens_capped_not_refused(http):
    body = chat(http, max_tokens=10 ** 12).json()
    assert body["choices"][0]["finish_reason"] == "stop"
    long = chat(http, max_tokens=10 ** 12, messages=[{"role": "user", "content": "count to 5000"}]).json()
    assert long["choices"][0]["finish_reason"] == "length" and long["usage"]["completion_tokens"] == 4096


def test_chat_count_gives_a_long_reply(http):
    body = chat(http, max_tokens=300, messages=[{"role": "user", "content": "Please count to 200"}]).json()
    assert body["choices"][0]["message"]["content"] == " ".join(str(i) for i in range(1, 201))
    assert body["usage"]["completion_tokens"] == 200 and body["choices"][0]["finish_reason"] == "stop"


def test_chat_stop_sequence(http):
    text = chat(http).json()["choices"][0]["message"]["content"]
    word = text.split()[2]
    cut = chat(http, stop=[word, "zzz"]).json()["choices"][0]
    assert cut["finish_reason"] == "stop" and cut["message"]["content"] == text[:text.index(word)]


def test_chat_json_object(http):
    content = chat(http, response_format={"type": "json_object"}).json()["choices"][0]["message"]["content"]
    assert isinstance(json.loads(content), dict)


SCHEMA = {
    "type": "object",
    "properties": {
        "owner": {"type": "string", "minLength": 3},
        "priority": {"type": "integer", "minimum": 1, "maximum": 3},
        "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 2},
        "due": {"type": ["string", "null"], "format": "date"},
        "done": {"type": "boolean"},
        "step": {"$ref": "#/$defs/step"},
        "kind": {"anyOf": [{"type": "null"}, {"const": "task"}]},
    },
    "required": ["owner", "priority", "score", "tags", "due", "done", "step", "kind"],
    "additionalProperties": False,
    "$defs": {"step": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}},
}


def test_chat_json_schema(http):
    response_format = {"type": "json_schema", "json_schema": {"name": "task", "strict": True, "schema": SCHEMA}}
    body = chat(http, response_format=response_format, max_tokens=200).json()
    jsonschema.validate(json.loads(body["choices"][0]["message"]["content"]), SCHEMA)


def test_chat_tools(http):
    tools = [{"type": "function", "function": {"name": "plan", "parameters": SCHEMA}}]
    body = chat(http, tools=tools, max_tokens=200).json()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "plan"
    jsonschema.validate(json.loads(call["function"]["arguments"]), SCHEMA)
    assert chat(http, tools=tools, tool_choice="none").json()["choices"][0]["finish_reason"] == "stop"


def test_chat_tools_stream(http):
    tools = [{"type": "function", "function": {"name": "plan", "parameters": SCHEMA}}]
    chunks = [json.loads(d) for _, d in sse_events(chat(http, tools=tools, stream=True, max_tokens=200))[:-1]]
    first = chunks[0]["choices"][0]["delta"]
    assert first["role"] == "assistant" and first["tool_calls"][0]["function"]["name"] == "plan"
    arguments = "".join(tc["function"]["arguments"] for c in chunks if c["choices"]
                        for tc in c["choices"][0]["delta"].get("tool_calls") or [])
    jsonschema.validate(json.loads(arguments), SCHEMA)
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_chat_logprobs(http):
    choice = chat(http, logprobs=True, top_logprobs=3, max_tokens=5).json()["choices"][0]
    entries = choice["logprobs"]["content"]
    assert "".join(e["token"] for e in entries) == choice["message"]["content"]
    assert all(len(e["top_logprobs"]) == 3 and e["logprob"] <= 0 for e in entries)


def test_chat_vision_part(http):
    messages = [{"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                             {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}]
    with_image = chat(http, messages=messages).json()
    text_only = chat(http, messages=[{"role": "user", "content": "What is this?"}]).json()
    assert with_image["usage"]["prompt_tokens"] == text_only["usage"]["prompt_tokens"] + 85


def test_unknown_fields_pass_through(http):
    assert chat(http, some_future_field={"x": [1, 2]}, seed=7, user="u1").status_code == 200


# Determinism

@pytest.mark.parametrize("endpoint", ["chat", "completions", "responses", "messages"])
def test_same_request_same_body(http, endpoint):
    _, path, body = ENDPOINTS[endpoint]
    first, second = (http.post(path, json=body).json() for _ in range(2))
    assert first["id"] != second["id"]
    assert without_volatile(first) == without_volatile(second)


def test_different_prompts_different_replies(http):
    replies = {chat(http, messages=[{"role": "user", "content": f"Question {i}"}]).json()["choices"][0]["message"]
               ["content"] for i in range(5)}
    assert len(replies) == 5


def test_default_reply_is_short(http):
    for model in (GPT, CLAUDE, "gemini-3.1-pro-preview"):
        used = chat(http, model=model).json()["usage"]["completion_tokens"]
        assert 10 <= used <= 40


def test_prompt_tokens_grow_with_the_prompt(http):
    short = chat(http, messages=[{"role": "user", "content": "Hi"}]).json()["usage"]["prompt_tokens"]
    longer = chat(http, messages=[{"role": "user", "content": "Hi" + " Hi" * 49}]).json()["usage"]["prompt_tokens"]
    assert longer == short + 49


# Legacy completions

def test_completion_shape(http):
    body = http.post("/completions", json={"model": GPT, "prompt": ["One", "Two"], "n": 2}).json()
    conforms("Completion", body)
    assert body["object"] == "text_completion"
    assert [c["index"] for c in body["choices"]] == [0, 1, 2, 3]
    assert all(c["logprobs"] is None and c["finish_reason"] == "stop" and c["text"] for c in body["choices"])
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]


@pytest.mark.parametrize("model", [GPT, "no-such-model"])
def test_completion_no_stream_rule(http, model):
    response = http.post("/completions", json={"model": model, "prompt": "Hi", "stream": True})
    assert response.headers["content-type"] == "application/json"
    if model == GPT:
        assert openai_error(response, 400, "stream")
    else:
        assert openai_error(response, 404, "model")["code"] == "model_not_found"


# Responses

def test_response_shape(http):
    body = http.post("/responses", json={"model": GPT, "instructions": "Be brief.", "input": "Hi",
                                         "metadata": {"k": "v"}, "temperature": 0.5}).json()
    conforms("Response", body)
    assert body["object"] == "response" and body["id"].startswith("resp_") and body["status"] == "completed"
    item = body["output"][0]
    assert item["type"] == "message" and item["role"] == "assistant" and item["status"] == "completed"
    assert item["content"][0]["type"] == "output_text" and item["content"][0]["annotations"] == []
    assert body["output_text"] == item["content"][0]["text"]
    assert body["usage"]["total_tokens"] == body["usage"]["input_tokens"] + body["usage"]["output_tokens"]
    assert body["instructions"] == "Be brief." and body["metadata"] == {"k": "v"} and body["temperature"] == 0.5
    assert body["error"] is None and body["incomplete_details"] is None and body["store"] is True


def test_response_max_output_tokens(http):
    body = http.post("/responses", json={"model": GPT, "input": "Hi", "max_output_tokens": 3}).json()
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["usage"]["output_tokens"] == 3 and body["output"][0]["status"] == "incomplete"


def test_response_stream(http):
    events = sse_events(http.post("/responses", json={"model": GPT, "input": "Hi", "stream": True}))
    datas = [json.loads(d) for _, d in events]
    for data in datas:
        conforms("ResponseStreamEvent", data)
    assert [name for name, _ in events] == [d["type"] for d in datas]
    assert [d["sequence_number"] for d in datas] == list(range(len(datas)))
    types = [d["type"] for d in datas]
    deltas = types.count("response.output_text.delta")
    assert deltas > 3 and types == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        *["response.output_text.delta"] * deltas, "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed"]
    text = "".join(d["delta"] for d in datas if d["type"] == "response.output_text.delta")
    assert text == datas[-4]["text"] == datas[-1]["response"]["output_text"]
    assert datas[0]["response"]["status"] == "in_progress" and datas[-1]["response"]["status"] == "completed"
    assert b"[DONE]" not in b"".join(d.encode() for _, d in events)


def test_response_stream_function_call(http):
    tools = [{"type": "function", "name": "plan", "parameters": SCHEMA}]
    events = sse_events(http.post("/responses", json={"model": GPT, "input": "Plan", "tools": tools,
                                                      "stream": True}))
    datas = [json.loads(d) for _, d in events]
    arguments = "".join(d["delta"] for d in datas if d["type"] == "response.function_call_arguments.delta")
    done = next(d for d in datas if d["type"] == "response.function_call_arguments.done")
    assert arguments == done["arguments"] == datas[-1]["response"]["output"][0]["arguments"]
    jsonschema.validate(json.loads(arguments), SCHEMA)


def test_response_input_items(http):
    body = http.post("/responses", json={"model": GPT, "input": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": [{"type": "input_text", "text": "Read this."},
                                     {"type": "input_file", "file_data": "data:application/pdf;base64,JVBE"}]},
    ]}).json()
    assert body["output_text"].startswith("I read 1 file.")


def test_response_json_modes(http):
    fmt = {"type": "json_schema", "name": "task", "schema": SCHEMA, "strict": True}
    body = http.post("/responses", json={"model": GPT, "input": "Plan", "text": {"format": fmt}}).json()
    jsonschema.validate(json.loads(body["output_text"]), SCHEMA)
    assert body["text"]["format"] == fmt
    body = http.post("/responses", json={"model": GPT, "input": "Plan",
                                         "text": {"format": {"type": "json_object"}}}).json()
    assert isinstance(json.loads(body["output_text"]), dict)


def test_response_store_and_previous_response_id(http):
    first = http.post("/responses", json={"model": GPT, "input": "Three names for a newsletter."}).json()
    follow = http.post("/responses", json={"model": GPT, "input": "More playful.",
                                           "previous_response_id": first["id"]}).json()
    assert follow["previous_response_id"] == first["id"]
    assert follow["output_text"].startswith(f'Continuing from "{" ".join(first["output_text"].split()[:4])}"')
    alone = http.post("/responses", json={"model": GPT, "input": "More playful."}).json()
    assert follow["usage"]["input_tokens"] > alone["usage"]["input_tokens"]


def test_response_not_stored(http):
    first = http.post("/responses", json={"model": GPT, "input": "Hi", "store": False}).json()
    assert first["store"] is False
    missing = http.post("/responses", json={"model": GPT, "input": "Again", "previous_response_id": first["id"]})
    assert openai_error(missing, 404, "previous_response_id")["code"] == "previous_response_not_found"


@pytest.mark.parametrize("stream", [False, True])
def test_response_unknown_previous_id(http, stream):
    response = http.post("/responses", json={"model": GPT, "input": "Hi", "stream": stream,
                                             "previous_response_id": "resp_nope"})
    openai_error(response, 404, "previous_response_id")


# Messages

def test_message_shape(http):
    body = http.post("/messages", json={"model": CLAUDE, "max_tokens": 64, "messages": HI,
                                        "system": [{"type": "text", "text": "Be brief."}]}).json()
    conforms("Message", body)
    assert body["id"].startswith("msg_") and body["type"] == "message" and body["role"] == "assistant"
    assert body["content"][0]["type"] == "text" and body["stop_reason"] == "end_turn"
    assert body["stop_sequence"] is None and body["usage"]["output_tokens"] == count_tokens(body["content"][0]["text"])


def test_message_stream_order(http):
    events = sse_events(http.post("/messages", json={"model": CLAUDE, "max_tokens": 5, "messages": HI,
                                                     "stream": True}))
    datas = [json.loads(d) for _, d in events]
    for data in datas:
        conforms("MessageStreamEvent", data)
    assert [name for name, _ in events] == [d["type"] for d in datas]
    assert [d["type"] for d in datas] == ["message_start", "content_block_start", "ping", *["content_block_delta"] * 5,
                                          "content_block_stop", "message_delta", "message_stop"]
    assert datas[0]["message"]["content"] == [] and datas[0]["message"]["usage"]["input_tokens"] > 0
    assert datas[-2]["delta"]["stop_reason"] == "max_tokens" and datas[-2]["usage"]["output_tokens"] == 5
    assert all(d["delta"]["type"] == "text_delta" for d in datas if d["type"] == "content_block_delta")


def test_message_tool_use_stream(http):
    tools = [{"name": "plan", "input_schema": SCHEMA}]
    events = sse_events(http.post("/messages", json={"model": CLAUDE, "max_tokens": 300, "messages": HI,
                                                     "tools": tools, "stream": True}))
    datas = [json.loads(d) for _, d in events]
    assert datas[1]["content_block"]["type"] == "tool_use" and datas[1]["content_block"]["id"].startswith("toolu_")
    partial = "".join(d["delta"]["partial_json"] for d in datas if d["type"] == "content_block_delta")
    jsonschema.validate(json.loads(partial), SCHEMA)
    assert datas[-2]["delta"]["stop_reason"] == "tool_use"


def test_message_requires_max_tokens(http):
    error = anthropic_error(http.post("/messages", json={"model": CLAUDE, "messages": HI}), 400,
                            "invalid_request_error")
    assert "max_tokens" in error["message"]


# Unknown models

@pytest.mark.parametrize("endpoint", ["chat", "completions", "responses"])
@pytest.mark.parametrize("stream", [False, True])
def test_model_not_found(http, endpoint, stream):
    _, path, body = ENDPOINTS[endpoint]
    stream_field = {"stream": True} if stream and endpoint != "completions" else {}
    response = http.post(path, json={**body, "model": "x", **stream_field})
    assert response.json() == {"error": {"message": "The model 'x' does not exist", "type": "invalid_request_error",
                                         "param": "model", "code": "model_not_found"}}
    assert response.status_code == 404 and response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("stream", [False, True])
def test_messages_model_not_found(http, stream):
    response = http.post("/messages", json={**ENDPOINTS["messages"][2], "model": "x", "stream": stream})
    anthropic_error(response, 404, "not_found_error")


# Parameter validation: a 400 naming the parameter

BAD_PARAMS = [
    ("chat", {"model": ""}, "model"), ("chat", {"model": "m" * 129}, "model"), ("chat", {"model": 5}, "model"),
    ("chat", {"temperature": 2.5}, "temperature"), ("chat", {"temperature": -0.1}, "temperature"),
    ("chat", {"temperature": "hot"}, "temperature"), ("chat", {"top_p": 1.5}, "top_p"),
    ("chat", {"n": 0}, "n"), ("chat", {"n": 9}, "n"), ("chat", {"n": 1.5}, "n"),
    ("chat", {"max_tokens": 0}, "max_tokens"), ("chat", {"max_tokens": "10"}, "max_tokens"),
    ("chat", {"max_completion_tokens": 0}, "max_completion_tokens"),
    ("chat", {"presence_penalty": 2.1}, "presence_penalty"), ("chat", {"frequency_penalty": -3}, "frequency_penalty"),
    ("chat", {"stop": ["a", "b", "c", "d", "e"]}, "stop"), ("chat", {"stop": 5}, "stop"),
    ("chat", {"top_logprobs": 21}, "top_logprobs"), ("chat", {"messages": None}, "messages"),
    ("chat", {"messages": "hi"}, "messages"), ("chat", {"messages": []}, "messages"),
    ("chat", {"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    ("chat", {"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    ("chat", {"stream": "yes"}, "stream"), ("chat", {"stream_options": {"include_usage": "no"}},
                                            "stream_options.include_usage"),
    ("chat", {"response_format": {"type": "xml"}}, "response_format.type"),
    ("chat", {"tools": [{"type": "function"}]}, "tools[0].function"),
    ("chat", {"tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
    ("completions", {"prompt": None}, "prompt"), ("completions", {"prompt": 5}, "prompt"),
    ("completions", {"max_tokens": 0}, "max_tokens"), ("completions", {"n": 9}, "n"),
    ("completions", {"temperature": 3}, "temperature"), ("completions", {"stop": [1]}, "stop"),
    ("responses", {"input": None}, "input"), ("responses", {"input": 5}, "input"),
    ("responses", {"max_output_tokens": 0}, "max_output_tokens"), ("responses", {"temperature": 2.01}, "temperature"),
    ("responses", {"top_p": -1}, "top_p"), ("responses", {"top_logprobs": -1}, "top_logprobs"),
    ("responses", {"instructions": 5}, "instructions"), ("responses", {"store": "yes"}, "store"),
    ("responses", {"input": [{"role": "user", "content": [{"type": "input_video"}]}]}, "input[0].content[0].type"),
    ("responses", {"text": {"format": {"type": "json_schema", "name": "t"}}}, "text.format.schema"),
    ("responses", {"tools": [{"type": "function"}]}, "tools[0].name"),
    ("responses", {"model": "m" * 129}, "model"), ("responses", {"model": ""}, "model"),
    ("responses", {"tools": [{"type": "file_search", "vector_store_ids": "vs_1"}]}, "tools[0].vector_store_ids"),
]


@pytest.mark.parametrize("endpoint,patch,param", BAD_PARAMS, ids=[f"{e}-{p}" for e, _, p in BAD_PARAMS])
def test_bad_parameter(http, endpoint, patch, param):
    _, path, body = ENDPOINTS[endpoint]
    openai_error(http.post(path, json={**body, **patch}), 400, param)


@pytest.mark.parametrize("stream", [False, True])
def test_a_file_search_tool_is_passed_to_a_search_that_finds_no_vector_store(http, stream):
    """Like OpenAI: the tool is taken, and the vector store it names is not found (the reference keeps none)."""
    tools = [{"type": "file_search", "vector_store_ids": ["vs_nope"]}]
    response = http.post("/responses", json={"model": GPT, "input": "Hi", "tools": tools, "stream": stream})
    error = openai_error(response, 404, "tools[0].vector_store_ids")
    assert "vs_nope" in error["message"]


BAD_MESSAGES = [
    ({"max_tokens": -1}, "max_tokens"), ({"max_tokens": "8"}, "max_tokens"), ({"temperature": 1.1}, "temperature"),
    ({"top_p": 2}, "top_p"), ({"messages": None}, "messages"), ({"messages": []}, "messages"),
    ({"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"), ({"system": 5}, "system"),
    ({"stop_sequences": "x"}, "stop_sequences"), ({"top_k": -1}, "top_k"), ({"model": ""}, "model"),
]


@pytest.mark.parametrize("patch,param", BAD_MESSAGES, ids=[p for _, p in BAD_MESSAGES])
def test_bad_message_parameter(http, patch, param):
    error = anthropic_error(http.post("/messages", json={**ENDPOINTS["messages"][2], **patch}), 400,
                            "invalid_request_error")
    assert f"'{param}'" in error["message"]


def test_messages_max_tokens_0_is_served_and_generates_nothing(http):
    """Anthropic's reference: "Set to 0 to populate the prompt cache without generating a response"."""
    response = http.post("/messages", json={**ENDPOINTS["messages"][2], "max_tokens": 0})
    assert response.status_code == 200
    assert response.json()["usage"]["output_tokens"] == 0


# Bodies that are not JSON objects, and requests that miss every route

@pytest.mark.parametrize("content,content_type", [
    (b"", "application/json"), (b"{", "application/json"), (b"[1, 2]", "application/json"),
    (b'{"model": NaN}', "application/json"), (b'{"temperature": 1e999}', "application/json"),
    (b"\xff\xfe", "application/json"), (b"model=gpt-5.4", "application/x-www-form-urlencoded"),
    (json.dumps({"model": GPT, "messages": HI}).encode(), "text/plain"),
])
@pytest.mark.parametrize("path", ["/chat/completions", "/messages"])
def test_malformed_body(http, path, content, content_type):
    response = http.post(path, content=content, headers={"Content-Type": content_type})
    if path == "/messages":
        anthropic_error(response, 400, "invalid_request_error")
    else:
        openai_error(response, 400)


def test_unknown_path(http):
    openai_error(http.get("/nope"), 404, None)
    openai_error(http.post("/chat/completions/"), 404, None)
    openai_error(http.get("/models/no-such-model"), 404, "model")


def test_wrong_method(http):
    response = http.get("/chat/completions")
    openai_error(response, 405, None)
    assert response.headers["allow"] == "POST"
    anthropic_error(http.get("/messages"), 405, "invalid_request_error")
    openai_error(http.post("/models", json={}), 405, None)

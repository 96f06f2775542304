"""The reference server through the official SDKs, changed only in base URL and key (seeds/002's promise)."""

from __future__ import annotations

import json

import anthropic
import jsonschema
import openai
import pytest
from pydantic import BaseModel

from conformance.reference import ReferenceConfig, ReferenceServer

# The anthropic SDK warns about the seed pages' Claude model id; the reference server serves it regardless.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")

KEY = ReferenceConfig().api_key
GPT = "gpt-5.4"
CLAUDE = "claude-sonnet-4-5"
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city", "unit"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def server():
    with ReferenceServer() as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as c:
        yield c


@pytest.fixture(scope="module")
def claude(server):
    # The Anthropic SDK appends /v1/messages to its base URL; CRUN's is /api/v1/messages.
    with anthropic.Anthropic(base_url=server.base_url.removesuffix("/v1"), api_key=KEY, max_retries=0) as c:
        yield c


# Models

def test_models_list(client):
    models = client.models.list()
    assert [m.id for m in models.data] == [GPT, CLAUDE, "gemini-3.1-pro-preview", "crun-echo", "crun-terse"]
    assert {m.owned_by for m in models.data} == {"OpenAI", "Anthropic", "Google", "crun-conformance"}
    assert all(m.created == 1772294400 and m.object == "model" for m in models.data)


def test_models_retrieve(client):
    assert client.models.retrieve(GPT).id == GPT


# Chat completions

def test_chat_create(client):
    completion = client.chat.completions.create(
        model=GPT,
        messages=[{"role": "system", "content": "You are a concise assistant."},
                  {"role": "user", "content": "Write a two-line product description for a wireless keyboard."}],
        temperature=0.7,
    )
    assert completion.object == "chat.completion"
    choice = completion.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason == "stop"
    usage = completion.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_chat_stream(client):
    stream = client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "Hello"}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0  # usage sent without asking
    assert len({c.id for c in chunks}) == 1


def test_chat_stream_helper(client):
    with client.chat.completions.stream(model=GPT, messages=[{"role": "user", "content": "Hello"}]) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content


def test_chat_tools(client):
    completion = client.chat.completions.create(
        model=GPT,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and call.id.startswith("call_")
    jsonschema.validate(json.loads(call.function.arguments), WEATHER)


def test_chat_tool_result_gets_an_answer(client):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model=GPT, messages=messages, tools=tools)
    call = first.choices[0].message.tool_calls[0]
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "18 C, sunny"}]
    second = client.chat.completions.create(model=GPT, messages=messages, tools=tools)
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content


def test_chat_tools_stream(client):
    stream = client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "Weather?"}], stream=True,
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}],
    )
    arguments, finish = "", None
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                arguments += call.function.arguments or ""
            finish = choice.finish_reason or finish
    assert finish == "tool_calls"
    jsonschema.validate(json.loads(arguments), WEATHER)


def test_chat_json_mode(client):
    completion = client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "Reply in JSON."}], response_format={"type": "json_object"})
    assert isinstance(json.loads(completion.choices[0].message.content), dict)


class Task(BaseModel):
    owner: str
    task: str
    due: str


def test_chat_parse_structured_output(client):
    completion = client.chat.completions.parse(
        model=GPT, messages=[{"role": "user", "content": "Maya should send the launch brief by Friday."}],
        response_format=Task)
    assert isinstance(completion.choices[0].message.parsed, Task)


def test_chat_vision(client):
    completion = client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/keyboard.jpg"}},
    ]}])
    assert completion.choices[0].message.content.startswith("I see 1 image.")


def test_chat_n_and_max_tokens(client):
    completion = client.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "Hello"}], n=3, max_completion_tokens=2)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert {c.finish_reason for c in completion.choices} == {"length"}
    assert completion.usage.completion_tokens == 6


# Legacy completions

def test_completions_create(client):
    completion = client.completions.create(model=GPT, prompt="Say this is a test", max_tokens=7)
    assert completion.object == "text_completion"
    assert completion.choices[0].finish_reason == "length" and completion.usage.completion_tokens == 7


def test_completions_refuse_stream(client):
    with pytest.raises(openai.BadRequestError) as refused:
        client.completions.create(model=GPT, prompt="Say this is a test", stream=True)
    assert refused.value.body["param"] == "stream"


# Responses

def test_responses_create(client):
    response = client.responses.create(model=GPT, instructions="You are a concise product copywriter.",
                                       input="Write a one-sentence launch caption for a headset.", temperature=0.7)
    assert response.status == "completed" and response.id.startswith("resp_")
    assert response.output_text and response.output[0].content[0].type == "output_text"
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_responses_stream_helper(client):
    with client.responses.stream(model=GPT, input="Write a three-step checklist.") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text and final.status == "completed"


def test_responses_create_stream(client):
    events = list(client.responses.create(model=GPT, input="Hello", stream=True, max_output_tokens=3))
    assert events[0].type == "response.created" and events[-1].type == "response.incomplete"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"


def test_responses_previous_response_id(client):
    first = client.responses.create(model=GPT, input="Give me three naming ideas for a newsletter.", store=True)
    follow = client.responses.create(model=GPT, input="Make the names more playful.",
                                     previous_response_id=first.id, store=True)
    assert follow.previous_response_id == first.id
    assert follow.output_text.startswith('Continuing from "' + " ".join(first.output_text.split()[:4]))
    assert follow.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens


def test_responses_unknown_previous_response(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.responses.create(model=GPT, input="Hi", previous_response_id="resp_unknown")
    assert missing.value.body["param"] == "previous_response_id"


def test_responses_parse(client):
    response = client.responses.parse(model=GPT, input="Extract: Maya should send the brief by Friday.",
                                      text_format=Task)
    assert isinstance(response.output_parsed, Task)


def test_responses_json_schema(client):
    schema = Task.model_json_schema() | {"additionalProperties": False}
    response = client.responses.create(model=GPT, input="Extract a task.", text={
        "format": {"type": "json_schema", "name": "task", "strict": True, "schema": schema}})
    jsonschema.validate(json.loads(response.output_text), schema)


def test_responses_function_tool(client):
    response = client.responses.create(
        model=GPT, input="Weather in Paris?",
        tools=[{"type": "function", "name": "get_weather", "parameters": WEATHER, "strict": True}],
        tool_choice="required")
    call = response.output[0]
    assert call.type == "function_call" and call.name == "get_weather" and call.status == "completed"
    jsonschema.validate(json.loads(call.arguments), WEATHER)
    follow = client.responses.create(model=GPT, previous_response_id=response.id, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "18 C"}],
        tools=[{"type": "function", "name": "get_weather", "parameters": WEATHER, "strict": True}])
    assert follow.output[0].type == "message" and follow.output_text


def test_responses_image_and_file_input(client):
    response = client.responses.create(model=GPT, input=[{"role": "user", "content": [
        {"type": "input_text", "text": "Describe these."},
        {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
        {"type": "input_file", "file_url": "https://example.com/letter.pdf"},
    ]}])
    assert response.output_text.startswith("I see 1 image. I read 1 file.")


# Messages (Anthropic)

def test_messages_create(claude):
    message = claude.messages.create(model=CLAUDE, max_tokens=64, system="You are concise.",
                                     messages=[{"role": "user", "content": "Hello, Claude"}])
    assert message.type == "message" and message.role == "assistant" and message.id.startswith("msg_")
    assert message.stop_reason == "end_turn" and message.content[0].type == "text"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_messages_max_tokens_cut(claude):
    message = claude.messages.create(model=CLAUDE, max_tokens=2, messages=[{"role": "user", "content": "Hi"}])
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 2


def test_messages_stop_sequence(claude):
    text = claude.messages.create(model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": "Hi"}])
    word = text.content[0].text.split()[3]
    cut = claude.messages.create(model=CLAUDE, max_tokens=64, stop_sequences=[word],
                                 messages=[{"role": "user", "content": "Hi"}])
    assert cut.stop_reason == "stop_sequence" and cut.stop_sequence == word
    assert word not in cut.content[0].text


def test_messages_stream_helper(claude):
    with claude.messages.stream(model=CLAUDE, max_tokens=64,
                                messages=[{"role": "user", "content": "Hello"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text and final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


def test_messages_tools(claude):
    message = claude.messages.create(
        model=CLAUDE, max_tokens=128, messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[{"name": "get_weather", "description": "Current weather", "input_schema": WEATHER}])
    block = message.content[0]
    assert message.stop_reason == "tool_use" and block.type == "tool_use" and block.id.startswith("toolu_")
    jsonschema.validate(block.input, WEATHER)


def test_messages_tools_stream(claude):
    with claude.messages.stream(
            model=CLAUDE, max_tokens=128, messages=[{"role": "user", "content": "Weather?"}],
            tools=[{"name": "get_weather", "input_schema": WEATHER}],
            tool_choice={"type": "tool", "name": "get_weather"}) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    jsonschema.validate(final.content[0].input, WEATHER)


# Errors surface as the SDKs' typed exceptions

def test_openai_wrong_key(server):
    bad = openai.OpenAI(base_url=server.base_url, api_key="wrong", max_retries=0)
    with bad, pytest.raises(openai.AuthenticationError) as refused:
        bad.models.list()
    assert refused.value.code == "invalid_api_key" and "wrong" not in str(refused.value.body)


def test_openai_unknown_model(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "Hi"}])
    assert missing.value.code == "model_not_found"


def test_openai_unknown_model_stream(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "Hi"}],
                                       stream=True)
    assert missing.value.code == "model_not_found"


def test_openai_bad_parameter(client):
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "Hi"}], temperature=3)
    assert refused.value.param == "temperature"


def test_anthropic_wrong_key(server):
    bad = anthropic.Anthropic(base_url=server.base_url.removesuffix("/v1"), api_key="wrong", max_retries=0)
    with bad, pytest.raises(anthropic.AuthenticationError) as refused:
        bad.messages.create(model=CLAUDE, max_tokens=8, messages=[{"role": "user", "content": "Hi"}])
    assert refused.value.body["error"]["type"] == "authentication_error"


def test_anthropic_unknown_model(claude):
    with pytest.raises(anthropic.NotFoundError) as missing:
        claude.messages.create(model="no-such-model", max_tokens=8, messages=[{"role": "user", "content": "Hi"}])
    assert missing.value.body["error"]["type"] == "not_found_error"


def test_anthropic_bad_parameter(claude):
    with pytest.raises(anthropic.BadRequestError) as refused:
        claude.messages.create(model=CLAUDE, max_tokens=8, extra_body={"temperature": 1.5},
                               messages=[{"role": "user", "content": "Hi"}])
    assert "temperature" in refused.value.body["error"]["message"]

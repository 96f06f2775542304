"""Issue 24, /messages: tool_use and thinking blocks in JSON and streams, as the contract, the reference server and
the checks hold them. The examples are written from Anthropic's public Messages and streaming references."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from conformance.catalogue.contract import validate
from conformance.reference import ReferenceConfig, create_app
from conformance.reference.faults import FAULTS
from conformance.suite import messages_stream as ms
from conformance.suite import messages_thinking as thinking
from conformance.suite import messages_tools as msgt
from conformance.suite import sdk
from conformance.suite.case import Failed, NotJudged, Skipped, Unsupported
from conformance.suite.messages_blocks import NO_INPUT, streamed_blocks
from conformance.wire.exchange import Exchange, Request
from conformance.wire.sse import parse

CTX = None  # these checks do not read the context
KEY = "k"
MODEL = "claude-sonnet-4-5"
THINKING = {"type": "enabled", "budget_tokens": 1024}
QUESTION = [{"role": "user", "content": "What is the weather in Paris?"}]
WEATHER = {"name": "get_weather", "description": "Current weather in a city.",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def start(input_tokens: int = 12) -> dict:
    return {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "content": [], "stop_reason": None,
        "stop_sequence": None, "usage": {"input_tokens": input_tokens, "output_tokens": 1}}}


def block(index: int, content: dict) -> dict:
    return {"type": "content_block_start", "index": index, "content_block": content}


def delta(index: int, content: dict) -> dict:
    return {"type": "content_block_delta", "index": index, "delta": content}


def stop(index: int) -> dict:
    return {"type": "content_block_stop", "index": index}


def end(reason: str) -> list[dict]:
    return [{"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None},
             "usage": {"output_tokens": 20}}, {"type": "message_stop"}]


TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
THINKING_STREAM = [
    start(),
    block(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, {"type": "thinking_delta", "thinking": "Paris: call the tool."}),
    delta(0, {"type": "signature_delta", "signature": "c2lnbmF0dXJl"}),
    stop(0),
    block(1, TOOL_USE),
    delta(1, {"type": "input_json_delta", "partial_json": ""}),
    delta(1, {"type": "input_json_delta", "partial_json": '{"city": "Par'}),
    delta(1, {"type": "input_json_delta", "partial_json": 'is"}'}),
    stop(1),
    *end("tool_use"),
]


def stream(events: list[dict], body: dict | None = None) -> Exchange:
    raw = b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)
    found, trailing = parse(raw)
    asked = body or {"model": MODEL, "max_tokens": 2048, "messages": QUESTION, "stream": True}
    return Exchange(Request("POST", "/messages", asked), 200, {"content-type": "text/event-stream"}, raw, found,
                    trailing)


def refused(body: dict) -> Exchange:
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": "thinking is not supported."}}
    return Exchange(Request("POST", "/messages", body), 400, {"content-type": "application/json"},
                    json.dumps(error).encode())


# The contract -------------------------------------------------------------------------------------------------------

def test_the_contract_holds_tool_use_and_thinking_blocks_and_deltas_to_their_full_shape():
    assert [p for e in THINKING_STREAM for p in validate("MessageStreamEvent", e)] == []
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "stop_reason": "tool_use",
               "usage": {"input_tokens": 1, "output_tokens": 1},
               "content": [{"type": "thinking", "thinking": "t", "signature": "s"},
                           {"type": "redacted_thinking", "data": "opaque"},
                           {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}]}
    assert validate("Message", message) == []
    unsigned = {**message, "content": [{"type": "thinking", "thinking": "t"}]}
    assert [p.expected for p in validate("Message", unsigned)] == ["property 'signature' present"]
    assert validate("MessageStreamEvent", delta(0, {"type": "input_json_delta", "partial_json": {"a": 1}}))
    assert validate("MessageStreamEvent", delta(0, {"type": "signature_delta"}))
    assert validate("MessageStreamEvent", block(0, {"type": "tool_use", "id": "t", "name": "f"}))
    sent_back = {"model": MODEL, "max_tokens": 8, "messages": [
        *QUESTION, {"role": "assistant", "content": [{"type": "thinking", "thinking": "t"}]}]}
    assert [p.expected for p in validate("MessageRequest", sent_back)] == ["property 'signature' present"]


# The reference server -----------------------------------------------------------------------------------------------

@pytest.fixture
def client():
    def make(*faults: str) -> TestClient:
        config = ReferenceConfig(api_key=KEY, faults=frozenset(faults))
        return TestClient(create_app(config), base_url="http://testserver/api/v1", headers={"x-api-key": KEY})
    return make


def post(client: TestClient, **body):
    return client.post("/messages", json={"model": MODEL, "max_tokens": 1100, "messages": QUESTION, **body})


def test_thinking_is_signed_and_accepted_back_only_unchanged(client):
    server = client()
    first = post(server, thinking=THINKING).json()
    assert [b["type"] for b in first["content"]] == ["thinking", "text"]
    thought = first["content"][0]
    assert thought["signature"] and first["usage"]["output_tokens"] > 0
    again = [*QUESTION, {"role": "assistant", "content": first["content"]}, {"role": "user", "content": "And now?"}]
    assert post(server, thinking=THINKING, messages=again).status_code == 200
    altered = [*QUESTION, {"role": "assistant", "content": [{**thought, "thinking": thought["thinking"] + " "}]},
               {"role": "user", "content": "And now?"}]
    refusal = post(server, thinking=THINKING, messages=altered)
    assert refusal.status_code == 400 and "Invalid `signature`" in refusal.json()["error"]["message"]
    rejecting = client("messages_thinking_signature_rejected")
    assert post(rejecting, thinking=THINKING, messages=again).status_code == 400


def test_thinking_refuses_what_anthropic_refuses(client):
    server = client()
    assert post(server, thinking=THINKING, max_tokens=1024).status_code == 400  # the budget must be below max_tokens
    forced = post(server, thinking=THINKING, tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"})
    assert forced.status_code == 400 and "forces tool use" in forced.json()["error"]["message"]
    assert post(server, thinking={"type": "disabled"}).json()["content"][0]["type"] == "text"


def test_a_tool_result_must_answer_a_tool_use_of_the_turn_before(client):
    server = client()
    trip = [*QUESTION,
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_9", "name": "get_weather",
                                               "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "sunny"}]}]
    assert post(server, tools=[WEATHER], messages=trip).status_code == 200
    stray = [*QUESTION, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "x"}]}]
    assert "unexpected `tool_use_id`" in post(server, tools=[WEATHER], messages=stray).json()["error"]["message"]
    assert post(client("messages_tool_result_refused"), tools=[WEATHER], messages=trip).status_code == 400


def test_a_stream_of_thinking_then_a_tool_call_is_what_the_json_answer_holds(client):
    server = client()
    body = {"thinking": THINKING, "tools": [WEATHER], "tool_choice": {"type": "auto"}}
    answer = post(server, **body).json()
    raw = post(server, stream=True, **body).content
    events = [e.json() for e in parse(raw)[0]]
    blocks = streamed_blocks(events)
    assert [b.assembled()["type"] for b in blocks] == [b["type"] for b in answer["content"]] == ["thinking", "tool_use"]
    assert blocks[0].assembled()["thinking"] == answer["content"][0]["thinking"]
    assert blocks[0].signature == answer["content"][0]["signature"]
    assert blocks[1].input == answer["content"][1]["input"] and blocks[1].start["input"] == {}
    assert [e["index"] for e in events if e["type"] == "content_block_start"] == [0, 1]
    assert events[0]["message"]["usage"]["input_tokens"] == answer["usage"]["input_tokens"]
    assert answer["stop_reason"] == events[-2]["delta"]["stop_reason"] == "tool_use"


ISSUE_24_FAULTS = ("messages_tool_end_turn", "messages_tool_input_in_start", "messages_tool_partial_json_broken",
                   "messages_tool_result_refused", "messages_stream_start_no_input_tokens", "messages_stream_index_gap",
                   "messages_stream_block_overlap", "messages_thinking_no_signature", "messages_thinking_swallowed",
                   "messages_thinking_signature_rejected")


@pytest.mark.parametrize("fault", ISSUE_24_FAULTS)
def test_each_issue_24_fault_names_the_public_bug_it_reproduces(fault):
    assert "#" in FAULTS[fault].description, f"{fault}: say which public bug report it reproduces"


# The checks ---------------------------------------------------------------------------------------------------------

def test_blocks_open_at_0_1_in_order_and_deltas_go_to_the_open_block():
    assert not ms.order_violations(THINKING_STREAM)
    gap = [e if e.get("index") != 1 else {**e, "index": 2} for e in THINKING_STREAM]
    assert "content_block_start at index 2, where the block opened next is 1" in ms.order_violations(gap).found[0]
    overlap = [e for e in THINKING_STREAM if e != stop(0)]
    overlap = [e if e.get("index") != 1 else {**e, "index": 0} for e in overlap]
    assert ms.order_violations(overlap)
    unopened = [e if e.get("type") != "content_block_delta" or e["index"] != 1 else {**e, "index": 5}
                for e in THINKING_STREAM]
    assert "content_block_delta for index 5 while block 1 is open" in ms.order_violations(unopened).found[0]


def test_the_snapshot_is_empty_and_counts_the_input_tokens():
    assert not ms.snapshot_violations(THINKING_STREAM, {"input_tokens": 12})
    assert ms.snapshot_violations([start(0), *THINKING_STREAM[1:]], None).found == ["usage.input_tokens 0"]
    assert ms.snapshot_violations(THINKING_STREAM, {"input_tokens": 13}).found  # below the JSON answer's


def test_a_tool_call_streamed_opens_empty_joins_to_an_object_and_stops_for_tool_use():
    x = stream(THINKING_STREAM)
    msgt.stream_tool_input.fn(x, CTX)
    msgt.stream_tool_use_stop_reason.fn(x, CTX)
    whole = [e if e.get("type") != "content_block_start" or e["index"] != 1 else
             block(1, {**TOOL_USE, "input": {"city": "Paris"}}) for e in THINKING_STREAM
             if e.get("delta", {}).get("type") != "input_json_delta"]
    with pytest.raises(Failed, match="content_block_start input"):
        msgt.stream_tool_input.fn(stream(whole), CTX)
    broken = [e for e in THINKING_STREAM if e.get("delta", {}).get("partial_json") != '{"city": "Par']
    assert streamed_blocks(broken)[1].input is NO_INPUT
    with pytest.raises(Failed, match="no JSON object"):
        msgt.stream_tool_input.fn(stream(broken), CTX)
    with pytest.raises(Failed, match='stop_reason "tool_use"'):
        msgt.stream_tool_use_stop_reason.fn(stream([*THINKING_STREAM[:-2], *end("end_turn")]), CTX)
    with pytest.raises(NotJudged):
        msgt.stream_tool_use_stop_reason.fn(stream([*THINKING_STREAM[:5], *end("end_turn")]), CTX)
    with pytest.raises(Unsupported):
        msgt.stream_tool_input.fn(refused({"stream": True}), CTX)


def test_streamed_thinking_needs_its_deltas_and_a_signature_just_before_its_stop():
    body = {"model": MODEL, "max_tokens": 2048, "messages": QUESTION, "thinking": THINKING, "stream": True}
    thinking.thinking_streamed.fn([stream(THINKING_STREAM, body)], CTX)
    unsigned = [e for e in THINKING_STREAM if e.get("delta", {}).get("type") != "signature_delta"]
    with pytest.raises(Failed, match="no signature_delta"):
        thinking.thinking_streamed.fn([stream(unsigned, body)], CTX)
    with pytest.raises(Failed, match="no thinking block"):
        thinking.thinking_streamed.fn([stream([start(), *THINKING_STREAM[5:]], body)], CTX)
    with pytest.raises(Unsupported):
        thinking.thinking_streamed.fn([refused(body)], CTX)
    with pytest.raises(Skipped):
        ms.declined_to_skip(refused(body), "thinking")


def test_the_second_turn_sends_the_streamed_content_back_unchanged():
    body = {"model": MODEL, "max_tokens": 2048, "messages": QUESTION, "thinking": THINKING, "stream": True}
    follow = thinking.second_turn_request(CTX, [stream(THINKING_STREAM, body)])
    sent = follow.json_body["messages"][1]["content"]
    assert "stream" not in follow.json_body and follow.json_body["thinking"] == THINKING
    assert sent == [{"type": "thinking", "thinking": "Paris: call the tool.", "signature": "c2lnbmF0dXJl"},
                    {**TOOL_USE, "input": {"city": "Paris"}}]
    assert thinking.second_turn_request(CTX, [stream(THINKING_STREAM[5:], body)]) is None  # no thinking: nothing sent


def test_the_anthropic_sdk_reads_the_recorded_streams():
    x = stream(THINKING_STREAM)
    final = sdk.replayed_final_message(x)
    assert [b.type for b in final.content] == ["thinking", "tool_use"] and final.content[1].input == {"city": "Paris"}
    sdk.anthropic_stream_tool_use.fn(x, CTX)
    body = {"model": MODEL, "max_tokens": 2048, "messages": QUESTION, "thinking": THINKING, "stream": True}
    sdk.anthropic_stream_thinking.fn([stream(THINKING_STREAM, body)], CTX)
    gap = [e if e.get("index") != 1 else {**e, "index": 2} for e in THINKING_STREAM]
    with pytest.raises(Failed, match="get_final_message"):
        sdk.anthropic_stream_thinking.fn([stream(gap, body)], CTX)

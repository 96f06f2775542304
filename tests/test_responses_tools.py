"""Issue 24, responses: function calls and reasoning on /responses, one forced call in three formats, judged on
hand-written exchanges (the shapes of OpenAI's and Anthropic's public references), each rule by its own break."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.catalogue.contract import validate
from conformance.suite import responses_tools as rt
from conformance.suite import tools_formats as tf
from conformance.suite.case import Failed, NotJudged, Skipped, Unsupported
from conformance.wire.exchange import Exchange, Request
from conformance.wire.sse import parse

CTX = None  # these checks do not read the context
FIRST = {"model": "m", "input": "What is the weather in Paris?", "stream": True, "max_output_tokens": 256,
         "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}],
         "tool_choice": {"type": "function", "name": "get_weather"}, "reasoning": rt.REASONING}
ARGUMENTS = '{"city":"Paris"}'
SUMMARY = "Planning the answer: call the tool."


def stream(events: list[dict], request: dict = FIRST) -> Exchange:
    """A 200 Responses stream: each event numbered and named by its type, as OpenAI sends them."""
    numbered = [{**e, "sequence_number": n} for n, e in enumerate(events)]
    body = b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in numbered)
    found, trailing = parse(body)
    return Exchange(Request("POST", "/responses", request), 200, {"content-type": "text/event-stream"}, body, found,
                    trailing)


def answer(body: Any, status: int = 200, request: dict | None = None) -> Exchange:
    return Exchange(Request("POST", "/responses", request or {}), status, {"content-type": "application/json"},
                    json.dumps(body).encode())


def call_item(status: str = "completed", arguments: str = ARGUMENTS, **changes: Any) -> dict:
    return {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": arguments,
            "status": status, **changes}


def reasoning_item(summary: str | None = SUMMARY) -> dict:
    return {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": summary}] if summary else []}


def response(*output: dict, status: str = "completed", input_tokens: int = 40) -> dict:
    return {"id": "resp_1", "object": "response", "created_at": 1772294400, "status": status, "model": "m",
            "output": list(output), "usage": {"input_tokens": input_tokens, "output_tokens": 20, "total_tokens":
                                              input_tokens + 20, "output_tokens_details": {"reasoning_tokens": 8}}}


def call_events(index: int = 1, deltas: tuple[str, ...] = ('{"city":', '"Paris"}'), item_id: str = "fc_1",
                added: bool = True, done: bool = True, closed: bool = True) -> list[dict]:
    at = {"item_id": item_id, "output_index": index}
    events = [{"type": "response.output_item.added", "output_index": index,
               "item": call_item("in_progress", "")}] if added else []
    events += [{"type": "response.function_call_arguments.delta", **at, "delta": d} for d in deltas]
    if done:
        events.append({"type": "response.function_call_arguments.done", **at, "arguments": ARGUMENTS})
    if closed:
        events.append({"type": "response.output_item.done", "output_index": index, "item": call_item()})
    return events


def reasoning_events(item_id: str = "rs_1", opened: bool = True) -> list[dict]:
    at = {"item_id": item_id, "output_index": 0, "summary_index": 0}
    events = [{"type": "response.output_item.added", "output_index": 0, "item": reasoning_item(None)}] if opened else []
    return events + [
        {"type": "response.reasoning_summary_part.added", **at, "part": {"type": "summary_text", "text": ""}},
        {"type": "response.reasoning_summary_text.delta", **at, "delta": "Planning the answer:"},
        {"type": "response.reasoning_summary_text.delta", **at, "delta": " call the tool."},
        {"type": "response.reasoning_summary_text.done", **at, "text": SUMMARY},
        {"type": "response.reasoning_summary_part.done", **at, "part": {"type": "summary_text", "text": SUMMARY}},
        {"type": "response.output_item.done", "output_index": 0, "item": reasoning_item()}]


def agent_turn(calls: list[dict] | None = None, final: dict | None = None, reasoning: list[dict] | None = None) -> list[dict]:
    """A reasoning model's forced call streamed: created, a reasoning item, the function_call item, completed."""
    start = {"type": "response.created", "response": {**response(), "status": "in_progress", "output": [],
                                                      "usage": None}}
    end = {"type": "response.completed", "response": final or response(reasoning_item(), call_item())}
    return [start, *(reasoning_events() if reasoning is None else reasoning),
            *(call_events() if calls is None else calls), end]


STREAM_CHECKS = (rt.function_call_announced, rt.argument_events_name_their_item, rt.arguments_done_whole,
                 rt.function_call_closed, rt.final_response_holds_calls, rt.streamed_function_call_items,
                 rt.reasoning_events_coherent, rt.streamed_reasoning_tokens_counted, rt.streamed_reasoning_items)


def judge(check, *xs: Exchange) -> None:
    check.judge(list(xs), CTX)


def test_a_reasoning_models_streamed_call_passes_every_stream_rule_and_the_contract():
    x = stream(agent_turn())
    for check in STREAM_CHECKS:
        judge(check, x)
    for event in x.events:
        assert validate("ResponseStreamEvent", event.json()) == []


def test_arguments_that_come_whole_without_a_delta_are_fine_and_done_is_then_required():
    judge(rt.arguments_done_whole, stream(agent_turn(call_events(deltas=()))))
    with pytest.raises(Failed, match="required even when no delta came"):
        judge(rt.arguments_done_whole, stream(agent_turn(call_events(deltas=(), done=False))))


def test_openais_done_event_without_a_name_is_no_violation():
    """OpenAI's own stream leaves `name` out of function_call_arguments.done (openai/openai-python#2723)."""
    event = {"type": "response.function_call_arguments.done", "sequence_number": 3, "item_id": "fc_1",
             "output_index": 0, "arguments": ARGUMENTS}
    assert validate("ResponseStreamEvent", event) == []


@pytest.mark.parametrize("events, check, says", [
    (call_events(added=False), rt.function_call_announced, "none announced"),
    (call_events(item_id="call_1"), rt.argument_events_name_their_item, "(its call_id)"),
    (call_events(done=False), rt.arguments_done_whole, "0 response.function_call_arguments.done"),
    (call_events(deltas=('{"city":"Paris"}', '{"city":"Paris"}')), rt.arguments_done_whole, "deltas joined"),
    (call_events(closed=False), rt.function_call_closed, "0 response.output_item.done"),
], ids=["not announced", "named by call_id", "no done", "arguments sent twice", "never closed"])
def test_each_break_of_the_item_chain_fails_its_own_rule_and_no_other(events, check, says):
    x = stream(agent_turn(events))
    with pytest.raises(Failed, match=says.replace("(", r"\(").replace(")", r"\)")):
        judge(check, x)
    for other in STREAM_CHECKS:
        if other is not check:
            judge(other, x)


def test_the_final_response_must_keep_the_call():
    x = stream(agent_turn(final=response(reasoning_item())))
    with pytest.raises(Failed, match="missing from it"):
        judge(rt.final_response_holds_calls, x)


def test_reasoning_events_must_name_an_opened_reasoning_item():
    x = stream(agent_turn(reasoning=reasoning_events(opened=False)))
    with pytest.raises(Failed, match="no opened reasoning item"):
        judge(rt.reasoning_events_coherent, x)
    judge(rt.function_call_announced, x)


def test_a_text_answer_to_a_forced_call_fails_only_the_announcement():
    text = [{"type": "response.output_item.added", "output_index": 0,
             "item": {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}}]
    x = stream(agent_turn(calls=text, reasoning=[], final=response()))
    with pytest.raises(Failed, match="none announced"):
        judge(rt.function_call_announced, x)
    for check in (rt.argument_events_name_their_item, rt.arguments_done_whole, rt.function_call_closed,
                  rt.final_response_holds_calls):
        with pytest.raises(NotJudged):
            judge(check, x)


def test_a_stream_cut_before_the_call_is_not_judged():
    cut = {**response(status="incomplete"), "incomplete_details": {"reason": "max_output_tokens"}}
    with pytest.raises(NotJudged, match="cut at max_output_tokens"):
        judge(rt.function_call_announced, stream(agent_turn(calls=[], final=cut)))


def test_a_refusal_of_reasoning_sends_the_call_again_without_it_and_skips_only_reasoning():
    refused = answer({"error": {"message": "reasoning is not supported.", "type": "invalid_request_error",
                                "param": "reasoning", "code": "unsupported_parameter"}}, 400, FIRST)
    first, second = rt.function_call_steps(lambda ctx: {k: v for k, v in FIRST.items() if k != "reasoning"})
    again = second(CTX, [refused])
    assert again.json_body["stream"] is True and "reasoning" not in again.json_body
    retried = stream(agent_turn(call_events(index=0), reasoning=[], final=response(call_item())), again.json_body)
    for check in STREAM_CHECKS[:6]:
        judge(check, refused, retried)
    for check in STREAM_CHECKS[6:]:
        with pytest.raises(Skipped, match="PARAM-013"):
            judge(check, refused, retried)
    with pytest.raises(NotJudged, match="no round trip"):
        judge(rt.round_trip_answered, refused, retried)


def test_the_round_trip_sends_back_the_items_as_they_came_with_the_output():
    first, second = rt.function_call_steps(lambda ctx: {k: v for k, v in FIRST.items() if k != "reasoning"})
    streamed = stream(agent_turn())
    follow = second(CTX, [streamed]).json_body
    assert follow["input"][1:] == [reasoning_item(), call_item(),
                                   {"type": "function_call_output", "call_id": "call_1", "output": rt.WEATHER_RESULT}]
    assert follow["stream"] is False and follow["tool_choice"] == "auto"
    assert validate("ResponseRequest", follow) == []
    judge(rt.round_trip_answered, streamed, answer(response(input_tokens=80)))
    with pytest.raises(Failed, match="did not reach the model"):
        judge(rt.round_trip_answered, streamed, answer(response(input_tokens=41)))
    with pytest.raises(Failed, match="HTTP 400"):
        judge(rt.round_trip_answered, streamed, answer({"error": {"message": "No tool output found"}}, 400))


def test_function_call_items_in_json_need_every_documented_field():
    rt.function_call_items.fn(answer(response(call_item())), CTX)
    for broken, says in ((call_item(id=None), "id"), (call_item(status=None), "status"),
                         (call_item(arguments={"city": "Paris"}), "arguments")):
        with pytest.raises(Failed, match=says):
            rt.function_call_items.fn(answer(response(broken)), CTX)
    with pytest.raises(NotJudged, match="CAP-102"):
        rt.function_call_items.fn(answer(response()), CTX)


def test_reasoning_items_and_tokens_in_json():
    asked = {"model": "m", "input": "q", "reasoning": {"effort": "low"}}
    good = answer(response(reasoning_item(None)), request=asked)
    rt.reasoning_items.fn([good], CTX)
    rt.reasoning_tokens_counted.fn([good], CTX)
    with pytest.raises(Failed, match="summary"):
        rt.reasoning_items.fn([answer(response({"id": "rs_1", "type": "reasoning"}), request=asked)], CTX)
    bare = response(reasoning_item(None))
    del bare["usage"]["output_tokens_details"]
    with pytest.raises(Failed, match="output_tokens_details"):
        rt.reasoning_tokens_counted.fn([answer(bare, request=asked)], CTX)
    with pytest.raises(Skipped, match="PARAM-013"):
        rt.reasoning_items.fn([answer(response(), request={"model": "m", "input": "q"})], CTX)


def chat_call(finish: str = "tool_calls", usage: Any = "default") -> Exchange:
    body = {"id": "c", "object": "chat.completion", "created": 1772294400, "model": "m", "choices": [
        {"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ARGUMENTS}}]}}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 8, "total_tokens": 38} if usage == "default" else usage}
    return Exchange(Request("POST", "/chat/completions", {}), 200, {"content-type": "application/json"},
                    json.dumps(body).encode())


def tool_use(stop: str = "tool_use") -> Exchange:
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "stop_reason": stop,
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
            "usage": {"input_tokens": 30, "output_tokens": 8}}
    return Exchange(Request("POST", "/messages", {}), 200, {"content-type": "application/json"},
                    json.dumps(body).encode())


def test_one_forced_call_three_formats_stop_signals():
    for finish in ("tool_calls", "stop"):  # OpenAI answers "stop" to a named function
        tf.chat_call_ends_with_tool_calls.fn(chat_call(finish), CTX)
    with pytest.raises(Failed, match="tool_use"):  # maximhq/bifrost#617
        tf.chat_call_ends_with_tool_calls.fn(chat_call("tool_use"), CTX)
    tf.responses_call_completed.fn(answer(response(call_item())), CTX)
    with pytest.raises(Failed, match="in_progress"):
        tf.responses_call_completed.fn(answer(response(call_item("in_progress"))), CTX)
    tf.messages_call_ends_with_tool_use.fn(tool_use(), CTX)
    with pytest.raises(Failed, match="end_turn"):  # pgEdge/pgedge-postgres-mcp#217
        tf.messages_call_ends_with_tool_use.fn(tool_use("end_turn"), CTX)


def test_one_forced_call_three_formats_usage():
    tf.chat_call_counted.fn(chat_call(), CTX)
    tf.messages_call_counted.fn(tool_use(), CTX)
    tf.responses_call_counted.fn(answer(response(call_item())), CTX)
    with pytest.raises(Failed, match="usage null"):  # songquanpeng/one-api#1794
        tf.responses_call_counted.fn(answer({**response(call_item()), "usage": None}), CTX)
    with pytest.raises(Failed, match="completion_tokens at least 1"):
        tf.chat_call_counted.fn(chat_call(usage={"prompt_tokens": 30, "completion_tokens": 0}), CTX)


def test_a_proper_refusal_of_tools_is_not_supported_on_every_format():
    refusal = {"error": {"message": "tools are not supported.", "type": "invalid_request_error", "param": "tools",
                         "code": None}}
    for check in (tf.chat_call_ends_with_tool_calls, tf.responses_call_counted):
        with pytest.raises(Unsupported):
            check.fn(answer(refusal, 400), CTX)

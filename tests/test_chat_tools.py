"""Issue 24, chat tool calls: streams shaped as OpenAI's function calling guide shows them pass, and each shape a
gateway was reported to send instead fails the one rule it breaks; no error comes with a 2xx, streamed or not."""

from __future__ import annotations

import json

import pytest

from conformance.suite import chat_stream as cs
from conformance.suite import chat_tools as tools
from conformance.suite import errors
from conformance.suite.case import Failed, NotJudged, Skipped, Unsupported
from conformance.wire.exchange import Exchange, Request
from conformance.wire.sse import parse

CTX = None  # these checks do not read the context
REQUIRED = {"stream": True, "tool_choice": "required", "tools": [tools.WEATHER_TOOL, tools.TIME_TOOL]}


def stream(*events: dict | str, request: dict = REQUIRED, status: int = 200) -> Exchange:
    body = b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events)
    found, trailing = parse(body)
    return Exchange(Request("POST", "/chat/completions", request), status, {"content-type": "text/event-stream"},
                    body, found, trailing)


def answer(body: dict, request: dict | None = None, status: int = 200) -> Exchange:
    return Exchange(Request("POST", "/chat/completions", request or {**REQUIRED, "stream": False}), status,
                    {"content-type": "application/json"}, json.dumps(body).encode())


def chunk(choices: list, usage: dict | None = None) -> dict:
    return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": choices,
            **({"usage": usage} if usage is not None else {})}


def calls(*fragments: dict, first_role: bool = True) -> list[dict]:
    """One chunk per tool_calls fragment, the first with the role, as OpenAI streams them."""
    return [chunk([{"index": 0, "delta": {**({"role": "assistant", "content": None} if n == 0 and first_role else {}),
                                          "tool_calls": [f]}, "finish_reason": None}]) for n, f in enumerate(fragments)]


def opens(index: int, call_id: str, name: str) -> dict:
    return {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}


def piece(index: int, arguments: str) -> dict:
    return {"index": index, "function": {"arguments": arguments}}


FINISH = chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}])
USAGE = {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42}
# Two parallel calls, each opened by its first fragment and filled by pieces of its arguments, as the guide shows.
PARALLEL = (opens(0, "call_a", "get_weather"), piece(0, '{"city"'), piece(0, ':"Paris"}'),
            opens(1, "call_b", "get_time"), piece(1, '{"city":'), piece(1, '"Tokyo"}'))


def openai_stream(*fragments: dict, finish: dict = FINISH, tail: tuple = ()) -> Exchange:
    return stream(*calls(*fragments), finish, *tail, chunk([], USAGE), "[DONE]")


STREAM_RULES = (tools.tool_fragments_indexed, tools.tool_call_first_fragment_names_it, tools.tool_arguments_join_once,
                tools.tool_index_names_one_call, cs.empty_choices_only_for_usage, cs.finish_chunk_last_of_its_choice)


@pytest.mark.parametrize("rule", STREAM_RULES, ids=lambda r: r.requirement)
def test_a_stream_as_openai_sends_it_keeps_every_rule(rule):
    rule.fn(openai_stream(*PARALLEL), CTX)


def _breaks(x: Exchange) -> set[str]:
    broken = set()
    for rule in STREAM_RULES:
        try:
            rule.fn(x, CTX)
        except Failed:
            broken.add(rule.requirement)
        except Skipped:  # another rule's to judge
            pass
    return broken


def _without_index(fragment: dict) -> dict:
    return {k: v for k, v in fragment.items() if k != "index"}


@pytest.mark.parametrize("fragments,broken", [
    ([_without_index(f) for f in PARALLEL[:3]], {"CHAT-STREAM-009"}),  # nothing to assemble for the others
    ([{**f, "index": 0} for f in PARALLEL], {"CHAT-STREAM-011", "CHAT-STREAM-012"}),  # two calls sharing index 0
    ([*PARALLEL[:3], piece(0, '{"city":"Paris"}')], {"CHAT-STREAM-011"}),  # the whole arguments sent again
    ([PARALLEL[0], {**PARALLEL[1], "id": "call_z"}, PARALLEL[2]], {"CHAT-STREAM-012"}),  # a later id of its own
    ([{k: v for k, v in PARALLEL[0].items() if k != "type"}, *PARALLEL[1:3]], {"CHAT-STREAM-010"}),  # no type
], ids=["no index", "shared index", "arguments re-sent", "id changes", "no type"])
def test_each_reported_shape_breaks_its_rule(fragments, broken):
    assert _breaks(openai_stream(*fragments)) == broken


def test_an_empty_choices_chunk_without_usage_and_a_second_finish_chunk_each_break_their_rule():
    empty = stream(*calls(*PARALLEL[:3]), chunk([]), FINISH, chunk([], USAGE), "[DONE]")
    assert _breaks(empty) == {"CHAT-STREAM-014"}
    twice = openai_stream(*PARALLEL[:3], tail=(FINISH,))
    assert _breaks(twice) == {"CHAT-STREAM-015"}


def test_crun_s_recorded_stream_with_usage_on_its_finish_chunk_keeps_the_chunk_rules():
    seed = stream(chunk([{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}]),
                  chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": "stop"}], USAGE),
                  "[DONE]", request={"stream": True})
    cs.empty_choices_only_for_usage.fn(seed, CTX)
    cs.finish_chunk_last_of_its_choice.fn(seed, CTX)


def test_a_stream_without_tool_calls_is_not_judged_and_a_refusal_of_tools_is_not_supported():
    text = stream(chunk([{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]),
                  "[DONE]")
    with pytest.raises(NotJudged):
        tools.tool_fragments_indexed.fn(text, CTX)
    refused = answer({"error": {"message": "tools are not supported", "type": "invalid_request_error", "param": "tools",
                                "code": None}}, status=400)
    with pytest.raises(Unsupported):
        tools.tool_fragments_indexed.fn(refused, CTX)


def test_finish_reason_after_tool_calls():
    json_answer = answer(completion([tool_call("call_a", "get_weather", '{"city":"Paris"}')]))
    tools.finish_tool_calls.fn([json_answer, openai_stream(*PARALLEL)], CTX)
    stop = openai_stream(*PARALLEL, finish=chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    with pytest.raises(Failed, match="stream"):
        tools.finish_tool_calls.fn([json_answer, stop], CTX)
    forced = {**REQUIRED, "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}
    cut = stream(*calls(*PARALLEL[:2]), chunk([{"index": 0, "delta": {}, "finish_reason": "length"}]), "[DONE]",
                 request=forced)
    with pytest.raises(NotJudged, match="cut at max_tokens"):
        tools.forced_finish_tool_calls.fn(cut, CTX)


def tool_call(call_id: str, name: str, arguments) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def completion(tool_calls: list, usage: dict = USAGE, **message) -> dict:
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "usage": usage, "choices": [
        {"index": 0, "finish_reason": "tool_calls",
         "message": {"role": "assistant", "content": None, "tool_calls": tool_calls, **message}}]}


def test_json_tool_calls_hold_a_string_of_json_and_the_content_key():
    good = answer(completion([tool_call("call_a", "get_weather", '{"city":"Paris"}'),
                              tool_call("call_b", "get_time", '{"city":"Tokyo"}')]))
    tools.json_tool_calls_well_formed.fn([good], CTX)
    as_object = answer(completion([tool_call("call_a", "get_weather", {"city": "Paris"})]))
    with pytest.raises(Failed, match="not a string"):
        tools.json_tool_calls_well_formed.fn([as_object], CTX)
    body = completion([tool_call("call_a", "get_weather", '{"city":"Paris"}')])
    del body["choices"][0]["message"]["content"]
    with pytest.raises(Failed, match="no content key"):
        tools.json_tool_calls_well_formed.fn([answer(body)], CTX)


def test_the_stream_s_calls_are_compared_with_the_json_answer_only_when_both_generated_alike():
    json_answer = answer(completion([tool_call("call_a", "get_weather", '{"city":"Paris"}'),
                                     tool_call("call_b", "get_time", '{"city":"Tokyo"}')]))
    tools.stream_calls_match_json.fn([json_answer, openai_stream(*PARALLEL)], CTX)
    merged = openai_stream(*({**f, "index": 0} for f in PARALLEL))
    with pytest.raises(Failed, match="1 call"):
        tools.stream_calls_match_json.fn([json_answer, merged], CTX)
    otherwise = answer(completion(json.loads(json_answer.body)["choices"][0]["message"]["tool_calls"],
                                  usage={**USAGE, "completion_tokens": 13, "total_tokens": 43}))
    with pytest.raises(NotJudged, match="generated differently"):
        tools.stream_calls_match_json.fn([otherwise, merged], CTX)


@pytest.mark.parametrize("body,error", [
    ({"error": {"message": "no such model", "type": "invalid_request_error"}}, True),
    ({"type": "error", "error": {"type": "not_found_error", "message": "no such model"}}, True),
    ({"object": "error", "message": "bad request", "code": 400}, True),  # vLLM's error shape
    ({"object": "response", "status": "failed", "error": {"code": "server_error", "message": "failed"}}, False),
    ({"object": "chat.completion", "choices": []}, False),
    ({"id": "r", "object": "response", "error": None}, False),
])
def test_what_counts_as_an_error_body(body, error):
    assert errors.is_error_body(body) is error


def test_an_error_with_a_2xx_fails_streamed_or_not_and_a_failure_midway_is_the_stream_s_own():
    refusal = {"error": {"message": "no such model", "type": "invalid_request_error"}}
    errors.no_error_with_2xx.fn(answer(refusal, status=404), CTX)
    with pytest.raises(Failed, match="a 2xx body that is an error"):
        errors.no_error_with_2xx.fn(answer(refusal), CTX)
    with pytest.raises(Failed, match="opens with an error"):
        errors.no_error_with_2xx.fn(stream(refusal, "[DONE]"), CTX)
    errors.no_error_with_2xx.fn(stream(*calls(*PARALLEL[:2]), refusal, "[DONE]"), CTX)

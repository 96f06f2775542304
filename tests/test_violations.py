"""Checks that loop list every distinct violation, not only the first: hand-made exchanges, and one certify run."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.suite import chat_stream as cs
from conformance.suite import messages_stream as ms
from conformance.suite import responses_stream as rs
from conformance.suite import usage
from conformance.suite.case import Failed, Violations
from conformance.suite.expect import conforms
from conformance.wire.exchange import Exchange, Request
from conformance.wire.sse import parse

CTX = None  # stream checks do not read the context


def stream(*events: dict | str, named: bool = False, tail: bytes = b"", path: str = "/responses") -> Exchange:
    """A 200 event stream of these events (a dict as JSON, a str as raw data), as the caller would record it."""
    body = b""
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        line = f"event: {event['type']}\n" if named and isinstance(event, dict) else ""
        body += f"{line}data: {data}\n\n".encode()
    body += tail
    found, trailing = parse(body)
    return Exchange(Request("POST", path, {"stream": True}), 200, {"content-type": "text/event-stream"}, body,
                    found, trailing)


def failure(check, x) -> Failed:
    with pytest.raises(Failed) as caught:
        check.judge([x], CTX)
    return caught.value


def test_violations_group_one_problem_found_in_many_places_and_keep_others():
    v = Violations("something")
    for i in range(30):
        v.add("no sequence_number", f"event {i}")
    v.add("a stray data: [DONE]", "event 30")
    with pytest.raises(Failed) as caught:
        v.settle()
    assert caught.value.violations == ["event 0, event 1, event 2 and 27 more: no sequence_number",
                                       "event 30: a stray data: [DONE]"]
    assert caught.value.actual.endswith("(and 1 more)")


def test_a_body_lists_every_schema_problem_not_only_three():
    chunk = {"id": 1, "object": "x", "created": "y", "model": 2, "choices": "z"}
    with pytest.raises(Failed) as caught:
        conforms(chunk, "ChatCompletionChunk", "chunk")
    assert len(caught.value.violations) >= 4, caught.value.violations


def _response_events(sequence: bool = True) -> list[dict]:
    response = {"id": "resp_1", "object": "response", "status": "completed", "output": []}
    events = [{"type": "response.created", "response": {**response, "status": "in_progress"}},
              {"type": "response.completed", "response": response}]
    return [{**e, "sequence_number": i} if sequence else e for i, e in enumerate(events)]


def test_a_responses_stream_without_sequence_numbers_and_with_a_stray_done_shows_both():
    x = stream(*_response_events(sequence=False), "[DONE]", named=True)
    found = failure(rs.responses_events_valid, x).violations
    assert any("sequence_number" in v for v in found), found
    assert any(v.startswith("event 2:") and "[DONE]" in v for v in found), found
    assert failure(rs.sequence_increasing, x).violations == ["event 0, event 1: sequence_number null"]


def test_a_chat_stream_names_every_bad_event_and_every_done_problem():
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}
    x = stream(chunk, "{cut", chunk, "{cut", "[DONE]", chunk, path="/chat/completions", tail=b"data: tr")
    assert failure(cs.events_are_json_or_done, x).violations[0].startswith("event 1, event 3: ")
    done = failure(cs.done_is_last, x).violations
    assert len(done) == 2 and "[DONE] at events [4] of 6" in done[0] and "after the last event" in done[1]
    assert len(failure(cs.one_finish_reason_per_choice, x).violations) == 1
    assert failure(cs.first_delta_has_role, x).violations == ['choice 0: first delta {"content": "hi"}']


def test_chat_chunks_each_problem_once_with_the_chunks_it_was_found_on():
    bad = {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []}
    worse = {**bad, "created": "soon"}
    x = stream(bad, bad, worse, "[DONE]", path="/chat/completions")
    found = failure(cs.chunks_valid, x).violations
    assert found[0].startswith("chunk 0, chunk 1, chunk 2: $.object") and "chunk 2: $.created" in found[1], found


def test_usage_reported_twice_and_miscounted_shows_both():
    def with_usage(total: int) -> dict:
        return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [{"index": 0}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": total}}

    x = stream(with_usage(3), with_usage(2), "[DONE]", path="/chat/completions")
    found = failure(usage.stream_usage_consistent, x).violations
    assert found[0] == "2 chunks with usage" and found[1].startswith("usage chunk 0: total_tokens 3"), found
    assert len(failure(usage.usage_chunk_has_no_choices, x).violations) == 1


def test_a_messages_stream_out_of_order_names_each_misplaced_event_and_reads_on():
    events = [{"type": "message_start"}, {"type": "content_block_start"}, {"type": "message_delta"},
              {"type": "content_block_stop"}, {"type": "message_stop"}, "[DONE]"]
    x = stream(*events, named=True, path="/messages")
    order = failure(ms.events_in_order, x).violations
    assert [v.split(":")[0] for v in order] == ["event 2", "event 3", "event 4"], order
    delta = failure(ms.message_delta_complete, x).violations
    assert delta == ["event 2: delta.stop_reason null", "event 2: usage.output_tokens null"]
    assert failure(ms.no_done_marker, x).violations == ["event 5: data: [DONE]"]


def test_a_cut_stream_must_end_incomplete_with_the_reason():
    response = {"id": "r", "status": "completed", "incomplete_details": None, "usage": {"output_tokens": 16}}
    x = stream({"type": "response.created"}, {"type": "response.completed", "response": response})
    assert failure(rs.cut_stream_incomplete, x).violations == [
        "terminal event response.completed", "its response's status completed", "its response's incomplete_details null"]
    cut = {"id": "r", "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
           "usage": {"output_tokens": 16}}
    rs.cut_stream_incomplete.judge([stream({"type": "response.incomplete", "response": cut})], CTX)


KEY = "sk-violations-test-0123456789abcdef"


def test_certify_reports_both_stream_problems_in_the_json_report(tmp_path):
    """The issue's proof: no sequence_number AND a stray [DONE] are both listed for RESP-STREAM-002."""
    config = ReferenceConfig(api_key=KEY, faults=frozenset({"responses_two_stream_faults"}))
    with ReferenceServer(config) as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q", "-k", "RESP-STREAM",
                     "--report-json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 1
    failed = {c["id"] for c in report["checks"] if c["outcome"] == "failed"}
    assert failed == {"RESP-STREAM-002", "RESP-STREAM-005"}
    for check in (c for c in report["checks"] if c["id"] == "RESP-STREAM-002"):
        found = check["violations"]
        assert len(found) == 2, found
        assert "sequence_number" in found[0] and "a stray data: [DONE]" in found[1], found

"""Issue 10's verdicts: cut answers, /messages refusals, one rule for capabilities, SDK failures with their exchanges."""

from __future__ import annotations

import json

import httpx2
import pytest

from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.suite import capabilities as cap
from conformance.suite import messages as msg
from conformance.suite import responses as resp
from conformance.suite.case import Failed, Unsupported
from conformance.suite.sdk import sdk_frame
from conformance.wire.exchange import Exchange, Request
from conformance.wire.recorder import RecordingTransport

KEY = "sk-verdicts-test-0123456789abcdef"
CTX = None  # these checks do not read the context


def answer(path: str, status: int, body: object) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(Request("POST", path, {}), status, {"content-type": "application/json"}, raw)


def certify(tmp_path, faults: set[str], keyword: str) -> tuple[int, dict]:
    with ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset(faults))) as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q", "-k", keyword,
                     "--report-json", str(tmp_path / "r.json")])
    return code, json.loads((tmp_path / "r.json").read_text())


# Item 3: a cut answer says so --------------------------------------------------------------------------

def test_a_cut_answer_that_says_completed_fails_and_the_token_bound_stays_its_own_requirement():
    completed = {"status": "completed", "incomplete_details": None, "usage": {"output_tokens": 16}}
    assert resp.cut_problems(completed) == ["status completed", "incomplete_details null"]
    assert resp.cut_problems({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}) == []


def test_the_cut_but_completed_server_fails_the_body_and_the_stream(tmp_path):
    code, report = certify(tmp_path, {"responses_cut_but_completed"}, "RESP-005 or RESP-STREAM-008 or RESP-004")
    outcomes = {c["id"]: c["outcome"] for c in report["checks"]}
    assert code == 1
    assert outcomes == {"RESP-004": "passed", "RESP-005": "failed", "RESP-STREAM-008": "failed"}


# Item 4: /messages refuses bad parameters in Anthropic's shape --------------------------------------

def test_msg_003_wants_a_400_anthropic_invalid_request_error():
    good = {"type": "error", "error": {"type": "invalid_request_error", "message": "temperature: out of range"}}
    msg.bad_parameter_refused.judge([answer("/messages", 400, good)], CTX)
    for status, body in ((500, {"type": "error", "error": {"type": "api_error", "message": "boom"}}),
                         (400, {"error": {"message": "x", "type": "invalid_request_error"}}),
                         (400, {"type": "error", "error": {"type": "not_found_error", "message": "x"}})):
        with pytest.raises(Failed):
            msg.bad_parameter_refused.judge([answer("/messages", status, body)], CTX)


def test_a_missing_field_answered_with_500_on_messages_fails_exactly_its_requirements(tmp_path):
    code, report = certify(tmp_path, {"messages_missing_field_500"}, "MSG or PARAM")
    failed = {(c["id"], c["case"]) for c in report["checks"] if c["outcome"] == "failed"}
    assert code == 1
    assert failed == {("MSG-002", "messages_missing_max_tokens"), ("MSG-003", "bad_param_messages_missing_messages"),
                      ("PARAM-001", "bad_param_messages_missing_messages")}


# Item 5: one rule for every capability -------------------------------------------------------------

STORED = {"id": "resp_1", "output": [{"type": "message", "content": [{"type": "output_text",
                                                                        "text": "Quiet keyboards help."}]}],
          "usage": {"input_tokens": 12}}


def _follow_up(text: str, input_tokens: int = 12) -> dict:
    return {"id": "resp_2", "previous_response_id": "resp_1", "usage": {"input_tokens": input_tokens},
            "output": [{"type": "message", "content": [{"type": "output_text", "text": text}]}]}


def test_stored_responses_declined_properly_are_not_supported():
    refused = {"error": {"message": "Previous response not found.", "type": "invalid_request_error",
                         "param": "previous_response_id", "code": "previous_response_not_found"}}
    with pytest.raises(Unsupported):
        cap.stored_follow_up.judge([answer("/responses", 200, STORED), answer("/responses", 404, refused)], CTX)


@pytest.mark.parametrize("follow_up", [
    answer("/responses", 500, {"error": {"message": "boom", "type": "server_error"}}),
    answer("/responses", 404, b"not found"),  # a 4xx, but not the endpoint's error shape
], ids=["5xx", "malformed-4xx"])
def test_stored_responses_that_are_broken_fail(follow_up: Exchange):
    for check in (cap.stored_follow_up, cap.stored_follow_up_honoured):
        with pytest.raises(Failed):
            check.judge([answer("/responses", 200, STORED), follow_up], CTX)


def test_a_follow_up_accepted_and_ignored_fails_the_must_by_its_input_tokens_whatever_it_says():
    """Issue 22: whether the follow-up's words echo the stored reply is the model's business; its input tokens are
    the server's. Accepted is the MAY row (CAP-009); carried is the MUST (CAP-109)."""
    first = answer("/responses", 200, STORED)
    ignored = answer("/responses", 200, _follow_up('"Quiet keyboards help"', input_tokens=12))
    cap.stored_follow_up.judge([first, ignored], CTX)
    with pytest.raises(Failed, match="did not reach the model"):
        cap.stored_follow_up_honoured.judge([first, ignored], CTX)
    carried = answer("/responses", 200, _follow_up("Noted", input_tokens=12 + 9))
    cap.stored_follow_up_honoured.judge([first, carried], CTX)


def test_a_server_that_keeps_nothing_reports_stored_responses_as_not_supported(tmp_path):
    code, report = certify(tmp_path, {"responses_not_stored"}, "CAP-009")
    [outcome] = report["checks"]
    assert code == 0 and outcome["outcome"] == "skipped" and outcome["actual"].startswith("not supported: ")


# Item 7: SDK failures carry the exchanges the SDK made ---------------------------------------------

@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "read-already"])
def test_the_recording_transport_keeps_the_exchange_and_masks_the_key(streamed: bool):
    def server(request: httpx2.Request) -> httpx2.Response:
        body = f'data: {{"echo": "{KEY}"}}\n\ndata: [DONE]\n\n'.encode()
        headers = {"content-type": "text/event-stream", "set-cookie": "s=1"}
        if streamed:  # as a network transport answers: the body still to be read
            return httpx2.Response(200, headers=headers, stream=httpx2.ByteStream(body))
        return httpx2.Response(200, headers=headers, content=body)

    transport = RecordingTransport("http://gw.test/api/v1", secrets=(KEY,), inner=httpx2.MockTransport(server))
    with httpx2.Client(transport=transport) as client:
        client.post("http://gw.test/api/v1/chat/completions", json={"stream": True, "key": KEY},
                    headers={"Authorization": f"Bearer {KEY}"}).read()
    [x] = transport.exchanges()
    assert (x.request.method, x.request.path, x.request.auth, x.status) == ("POST", "/chat/completions", "bearer", 200)
    assert "set-cookie" not in x.headers and [e.data for e in x.events][-1] == "[DONE]"
    assert KEY not in x.summary() + x.request.body_bytes().decode() and "***" in x.summary()


def test_an_sdk_failure_names_the_sdk_frame_and_carries_what_the_server_sent(tmp_path):
    code, report = certify(tmp_path, {"messages_event_off_schema"}, "SDK-006")
    [outcome] = report["checks"]
    assert code == 1 and outcome["outcome"] == "failed"
    assert "(raised at anthropic/" in outcome["actual"], outcome["actual"]
    assert outcome["exchange"].startswith("POST /messages (auth: ") and "200 text/event-stream" in outcome["exchange"]
    assert KEY not in json.dumps(report)


def test_sdk_frame_is_none_outside_the_sdks():
    try:
        raise ValueError("not from an SDK")
    except ValueError as exc:
        assert sdk_frame(exc) is None

"""Probes: optional parameters go together in one request, and one request per requirement only when it is refused."""

from __future__ import annotations

import json

import pytest

from conformance.suite import parameters_accepted as accepted
from conformance.suite.case import Context, Failed, Skipped
from conformance.suite.probe import Option, Probe, answers
from conformance.wire.exchange import Exchange, Request

CTX = Context(target=None, model="m", messages_model="m")  # type: ignore[arg-type]  # a probe reads only the model
A1 = Option("a1", {"a1": 1, "drop": None}, "PARAM-010")
B = Option("b", {"b": 2}, "PARAM-011")
A2 = Option("a2", {"a2": 3}, "PARAM-010")
C = Option("c", {"c": 4}, "CHAT-009")
PROBE = Probe("POST /chat/completions", lambda ctx: {"model": ctx.model, "drop": True}, (A1, B, A2, C))


def _answer(request: Request | None, status: int, param: str | None = None) -> Exchange:
    assert request is not None
    body = {} if status < 300 else {"error": {"message": f"Unrecognized request argument supplied: {param}",
                                              "type": "invalid_request_error", "param": param, "code": None}}
    return Exchange(request, status=status, headers={"content-type": "application/json"}, body=json.dumps(body).encode())


def _run(probe: Probe, *answers: int | tuple[int, str]) -> list[Exchange]:
    """Run the probe's steps as a case would, answering each request sent with the next status (and param)."""
    exchanges: list[Exchange] = []
    given = iter(answers)
    for step in probe.steps():
        request = step(CTX, exchanges)
        if request is not None:
            given_answer = next(given)
            exchanges.append(_answer(request, *(given_answer if isinstance(given_answer, tuple) else (given_answer,))))
    return exchanges


def test_options_are_grouped_by_requirement_in_the_order_first_named():
    assert PROBE.groups == {"PARAM-010": (A1, A2), "PARAM-011": (B,), "CHAT-009": (C,)}


def test_everything_accepted_together_costs_one_request():
    xs = _run(PROBE, 200)
    assert [x.request.json_body for x in xs] == [{"model": "m", "a1": 1, "b": 2, "a2": 3, "c": 4}]
    for requirement in PROBE.groups:
        PROBE.accepted(requirement, primary=requirement == "PARAM-010").judge(xs, CTX)


def test_a_refusal_sends_each_requirements_options_together_and_blames_only_that_requirement():
    xs = _run(PROBE, (400, "b"), 200, (400, "b"), 200)
    assert [x.request.json_body for x in xs[1:]] == [
        {"model": "m", "a1": 1, "a2": 3}, {"model": "m", "drop": True, "b": 2}, {"model": "m", "drop": True, "c": 4}]
    PROBE.accepted("PARAM-010", primary=True).judge(xs, CTX)
    PROBE.accepted("CHAT-009").judge(xs, CTX)
    with pytest.raises(Failed) as failed:
        PROBE.accepted("PARAM-011").judge(xs, CTX)
    assert failed.value.expected.startswith("b accepted")
    assert failed.value.actual.startswith("refused without the other options: HTTP 400 (param 'b'): ")


def test_refused_together_but_each_requirement_accepted_fails_the_primary_requirement_only():
    xs = _run(PROBE, 400, 200, 200, 200)
    with pytest.raises(Failed, match="each requirement's options accepted on their own, all together refused"):
        PROBE.accepted("PARAM-010", primary=True).judge(xs, CTX)
    PROBE.accepted("PARAM-011").judge(xs, CTX)
    PROBE.accepted("CHAT-009").judge(xs, CTX)


def test_a_probe_of_one_requirement_needs_no_second_request():
    probe = Probe("POST /chat/completions", lambda ctx: {"model": ctx.model}, (A1, A2))
    assert len(probe.steps()) == 1
    xs = _run(probe, (400, "a2"))
    with pytest.raises(Failed) as failed:
        probe.accepted("PARAM-010", primary=True).judge(xs, CTX)
    assert failed.value.actual.startswith("refused: HTTP 400 (param 'a2')")


def test_follow_ups_are_marked_so_a_live_budget_counts_only_the_first_request():
    first, *again = PROBE.steps()
    assert not first.only_when_refused
    assert len(again) == len(PROBE.groups) and all(step.only_when_refused for step in again)


def test_the_suites_probes_need_one_request_and_at_most_one_more_per_requirement():
    for probe in (accepted.CHAT_PROBE, accepted.RESPONSES_PROBE, accepted.MESSAGES_PROBE, accepted.STOP_STRING_PROBE):
        groups = len(probe.groups)
        assert len(probe.steps()) == (1 + groups if groups > 1 else 1)


def test_an_honoured_check_reads_the_answer_that_carried_its_option_and_skips_when_every_one_was_refused():
    xs = _run(PROBE, (400, "b"), 200, (400, "b"), 200)
    assert answers(xs, C) == [xs[3]]
    refused = _run(PROBE, (400, "a1"), (400, "a1"), 200, 200)
    with pytest.raises(Skipped, match="every request with a2 was refused"):
        answers(refused, A2)  # innocent or not, a2 went with a1: PARAM-010 fails for the refusal

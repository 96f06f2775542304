"""Probes: optional parameters go together in one request, and one by one only when that request is refused."""

from __future__ import annotations

import pytest

from conformance.suite.case import Context, Failed
from conformance.suite.probe import Option, Probe
from conformance.wire.exchange import Exchange, Request

CTX = Context(target=None, model="m", messages_model="m")  # type: ignore[arg-type]  # a probe reads only the model
A = Option("a", {"a": 1, "drop": None}, "PARAM-010")
B = Option("b", {"b": 2}, "PARAM-011")
PROBE = Probe("POST /chat/completions", lambda ctx: {"model": ctx.model, "drop": True}, (A, B))


def _answer(request: Request | None, status: int) -> Exchange:
    assert request is not None
    return Exchange(request, status=status, body=b"{}")


def _run(*statuses: int) -> list[Exchange]:
    """Run the probe's steps as a case would, answering each request sent with the next status."""
    exchanges: list[Exchange] = []
    answers = iter(statuses)
    for step in PROBE.steps():
        request = step(CTX, exchanges)
        if request is not None:
            exchanges.append(_answer(request, next(answers)))
    return exchanges


def test_everything_accepted_together_costs_one_request():
    xs = _run(200)
    assert [x.request.json_body for x in xs] == [{"model": "m", "a": 1, "b": 2}]
    PROBE.accepted("PARAM-010", primary=True).judge(xs, CTX)
    PROBE.accepted("PARAM-011").judge(xs, CTX)


def test_a_refusal_sends_each_option_alone_and_blames_only_the_culprit():
    xs = _run(400, 200, 400)
    assert [x.request.json_body for x in xs[1:]] == [{"model": "m", "a": 1}, {"model": "m", "drop": True, "b": 2}]
    PROBE.accepted("PARAM-010", primary=True).judge(xs, CTX)
    with pytest.raises(Failed) as failed:
        PROBE.accepted("PARAM-011").judge(xs, CTX)
    assert failed.value.actual.startswith("b: HTTP 400")


def test_refused_together_but_accepted_alone_fails_the_primary_requirement_only():
    xs = _run(400, 200, 200)
    with pytest.raises(Failed, match="each accepted alone, all together refused"):
        PROBE.accepted("PARAM-010", primary=True).judge(xs, CTX)
    PROBE.accepted("PARAM-011").judge(xs, CTX)


def test_follow_ups_are_marked_so_a_live_budget_counts_only_the_first_request():
    first, *alone = PROBE.steps()
    assert not first.only_when_refused
    assert alone and all(step.only_when_refused for step in alone)

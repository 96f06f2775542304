"""Figures the README quotes are the suite's own: a live run's request count comes from the plan."""

import re
from pathlib import Path

from conformance.run import plan as plans
from conformance.suite.cases import CASES
from conformance.wire.target import Target

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_plan_quoted_is_the_plan_of_a_one_model_crun_run():
    target = Target("https://gateway.invalid/api/v1", "key", profile="crun")
    plan = plans.build(target, plans.select(CASES, "crun"), ["m"], ["m"], matrix=False)
    plan.discovery = 1  # GET /models, to choose the model
    words = " ".join(README.split())  # the README wraps its lines anywhere
    quoted = re.search(r"Its plan allows up to (\d+):", words)
    assert quoted, "the README no longer quotes the plan of a live run"
    assert int(quoted[1]) == plan.requests


def quoted_live_requests() -> tuple[int, int]:
    """The requests a live crun run sends when every parameter is accepted, as the README quotes them.

    tests/test_certify.py holds it to what a run against the reference server actually spent."""
    words = " ".join(README.split())
    quoted = re.search(r"one model sends (\d+) requests \((\d+) cases' requests and one `GET /models`", words)
    assert quoted, "the README no longer quotes the request count of a live run"
    return int(quoted[1]), int(quoted[2])


def test_the_quoted_live_run_stays_within_its_budget():
    sent, cases = quoted_live_requests()
    plan = int(re.search(r"Its plan allows up to (\d+):", " ".join(README.split()))[1])
    assert sent == cases + 1 and sent <= plan <= 120  # issue 24's budget for a live crun certification of one model

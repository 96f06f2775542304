"""The one verdict rule (conformance/outcomes/verdict.py), and every front-end and report agreeing with it."""

from __future__ import annotations

import pytest

from conformance.outcomes.outcome import Outcome
from conformance.outcomes.verdict import CERTIFIED, EXIT_FAILED, EXIT_OK, FAILED, FAILING, OUTCOMES, counts_against, exit_code, verdict_of
from conformance.reports import document, matrix
from conformance.reports.baseline import Baseline, compare
from conformance.reports.reportfile import report_verdict

# (level, outcome, strict) -> whether it fails the run
RULE = [
    ("MUST", "failed", False, True), ("MUST", "error", False, True),
    ("MUST", "passed", False, False), ("MUST", "skipped", False, False),
    ("SHOULD", "failed", False, False), ("SHOULD", "error", False, False),
    ("SHOULD", "failed", True, True), ("SHOULD", "error", True, True),
    ("SHOULD", "passed", True, False), ("SHOULD", "skipped", True, False),
    ("MAY", "failed", True, False), ("-", "error", True, False),
]


@pytest.mark.parametrize("level, outcome, strict, fails", RULE)
def test_a_must_or_under_strict_a_should_that_failed_or_errored_fails_the_run(level, outcome, strict, fails):
    assert counts_against(level, outcome, strict) is fails
    assert verdict_of([("MUST", "passed"), (level, outcome)], strict) == (FAILED if fails else CERTIFIED)
    assert exit_code(verdict_of([(level, outcome)], strict)) == (EXIT_FAILED if fails else EXIT_OK)


def test_the_vocabulary():
    assert OUTCOMES == ("passed", "failed", "skipped", "error")
    assert FAILING == {"failed", "error"}
    assert (CERTIFIED, FAILED) == ("certified", "failed")
    assert verdict_of([], strict=True) == CERTIFIED


def _outcome(level: str, outcome: str) -> Outcome:
    return Outcome("CHAT-001", level, "POST /chat/completions", "statement", "chat_basic", outcome, model="m")


@pytest.mark.parametrize("level, outcome, strict, fails", RULE)
def test_outcomes_reports_matrix_and_baselines_apply_the_same_rule(level, outcome, strict, fails):
    outcomes = [_outcome(level, outcome)]
    expected = FAILED if fails else CERTIFIED
    assert outcomes[0].counts_against(strict) is fails
    assert document.outcomes_verdict(outcomes, strict) == expected
    report = document.assemble({"base_url": "http://gw.test/v1", "kind": "live", "profile": "crun"}, ["m"], outcomes,
                               {}, strict)
    assert report["verdict"] == report["summary_by_model"]["m"]["verdict"] == expected
    assert report_verdict({k: v for k, v in report.items() if k != "verdict"}) == expected  # an older report
    assert [c.verdict for c in matrix.build([report]).columns] == [expected]
    unjudged = compare(report["checks"], Baseline("none", [], None), strict=strict)  # a check the baseline lacks
    assert bool(unjudged.new_failures) is fails

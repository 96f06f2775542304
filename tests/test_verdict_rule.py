"""The one verdict rule (conformance/outcomes/verdict.py), and every front-end and report agreeing with it."""

from __future__ import annotations

import pytest

from conformance.outcomes.outcome import Outcome
from conformance.outcomes.verdict import (
    CERTIFIED,
    EXIT_FAILED,
    EXIT_OK,
    FAILED,
    FAILING,
    NOT_JUDGED,
    OUTCOMES,
    PARTIAL,
    VERDICTS,
    Coverage,
    combined,
    counts_against,
    exit_code,
    verdict_of,
    verdict_words,
)
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
    assert exit_code(verdict_of([("MUST", "passed"), (level, outcome)], strict)) == (EXIT_FAILED if fails else EXIT_OK)


def test_the_vocabulary():
    assert OUTCOMES == ("passed", "failed", "skipped", "error")
    assert FAILING == {"failed", "error"}
    assert (CERTIFIED, FAILED) == ("certified", "failed")
    assert VERDICTS == ("certified", "partial", "not judged", "failed")
    assert verdict_of([], strict=True) == NOT_JUDGED  # nothing judged is never a certification


def _outcome(level: str, outcome: str) -> Outcome:
    return Outcome("CHAT-001", level, "POST /chat/completions", "statement", "chat_basic", outcome, model="m")


@pytest.mark.parametrize("level, outcome, strict, fails", RULE)
def test_outcomes_reports_matrix_and_baselines_apply_the_same_rule(level, outcome, strict, fails):
    outcomes = [_outcome(level, outcome), _outcome("MUST", "passed")]  # a passed check: something was judged
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


PART = Coverage(1, 100, "-k AUTH-001")


def test_a_run_that_left_requirements_out_is_partial_never_certified():
    assert verdict_of([("MUST", "passed")], strict=False, coverage=PART) == PARTIAL
    assert verdict_of([("MUST", "passed")], strict=False, coverage=Coverage(100, 100)) == CERTIFIED
    assert verdict_of([("MUST", "failed")], strict=False, coverage=PART) == FAILED  # a failure is one, partial or not
    assert exit_code(PARTIAL) == exit_code(NOT_JUDGED) == EXIT_OK  # nothing failed; the word says how much was judged
    assert verdict_words(PARTIAL, PART) == "PARTIAL: 1 of 100 requirements checked (-k AUTH-001)"
    assert verdict_words(NOT_JUDGED).startswith("NOT JUDGED")


def test_nothing_judged_is_not_judged_and_a_model_is_judged_by_its_own_checks():
    assert verdict_of([("MUST", "skipped"), ("SHOULD", "skipped")], strict=False) == NOT_JUDGED
    # a model every endpoint declined: the shared GET /models check passed, none of its own was judged
    assert verdict_of([("MUST", "passed"), ("MUST", "skipped")], strict=False, own=["skipped"]) == NOT_JUDGED
    assert combined([CERTIFIED, NOT_JUDGED]) == CERTIFIED and combined([NOT_JUDGED]) == NOT_JUDGED
    assert combined([PARTIAL, CERTIFIED]) == PARTIAL and combined([CERTIFIED, FAILED, NOT_JUDGED]) == FAILED
    assert combined([]) == NOT_JUDGED


def _report(outcomes: list[Outcome], coverage: Coverage | None) -> dict:
    return document.assemble({"base_url": "http://gw.test/v1", "kind": "live", "profile": "crun"},
                             sorted({o.model for o in outcomes if o.model}), outcomes, {}, False, coverage)


def test_every_report_says_partial_for_a_run_of_one_requirement():
    report = _report([Outcome("AUTH-001", "MUST", "GET /models", "s", "models_list", "passed"),
                      _outcome("MUST", "passed")], PART)
    assert report["verdict"] == PARTIAL and report["coverage"] == {"checked": 1, "requirements": 100,
                                                                   "narrowed_by": "-k AUTH-001"}
    assert report["summary_by_model"]["m"]["verdict"] == PARTIAL
    built = matrix.build([report])
    assert [c.verdict for c in built.columns] == [PARTIAL]
    said = "PARTIAL: 1 of 100 requirements checked (-k AUTH-001)"
    assert f"verdict: {said}" in document.terminal(report)
    assert said in document.markdown(report) and "CERTIFIED" not in document.markdown(report)
    from conformance.reports import html, junit

    assert "PARTIAL" in html.render(built) and "CERTIFIED" not in html.render(built)
    assert said in junit.render([], verdict=said).decode()
    assert report_verdict(report) == PARTIAL


def test_a_matrix_column_where_nothing_was_judged_says_not_judged():
    outcomes = [Outcome("MODELS-001", "MUST", "GET /models", "s", "models_list", "passed"),
                _outcome("MUST", "passed"),
                Outcome("CHAT-001", "MUST", "POST /chat/completions", "s", "chat_basic", "skipped", model="declined",
                        skip_kind="not supported", actual="not supported: the model is declined here")]
    report = _report(outcomes, None)
    assert report["summary_by_model"] == {
        "declined": {"passed": 1, "failed": 0, "skipped": 1, "error": 0, "verdict": NOT_JUDGED},
        "m": {"passed": 2, "failed": 0, "skipped": 0, "error": 0, "verdict": CERTIFIED}}
    assert report["verdict"] == CERTIFIED  # the run judged a model; the one it could not is said so on its own
    built = matrix.build([report])
    assert {c.model: c.verdict for c in built.columns} == {"declined": NOT_JUDGED, "m": CERTIFIED}
    text = document.terminal(report)
    assert "NOT JUDGED" in text and "verdict: CERTIFIED in every column" not in text
    every_skipped = _report([outcomes[2]], None)
    assert every_skipped["verdict"] == NOT_JUDGED and exit_code(every_skipped["verdict"]) == EXIT_OK

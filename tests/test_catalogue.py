"""The catalogue and the cases agree: every requirement is checked, every check names a requirement."""

from conformance.catalogue.requirements import CATALOGUE, LEVELS, PROFILES, for_profile
from conformance.fuzz import CHECK_NAMES
from conformance.suite.cases import CASES


def _checked() -> set[str]:
    """Requirements judged by a hand-written check or by schemathesis's checks (FUZZ-*)."""
    return {check.requirement for case in CASES for check in case.checks} | set(CHECK_NAMES)


def test_every_requirement_has_a_check():
    assert [r.id for r in CATALOGUE if r.id not in _checked()] == []


def test_every_check_names_a_catalogued_requirement():
    assert _checked() - {r.id for r in CATALOGUE} == set()


def test_ids_unique_levels_valid_and_sources_named():
    ids = [r.id for r in CATALOGUE]
    assert len(ids) == len(set(ids))
    for r in CATALOGUE:
        assert r.levels and set(r.levels) <= set(PROFILES), r.id
        assert set(r.levels.values()) <= set(LEVELS), r.id
        assert r.statement and r.source and r.endpoints, r.id


def test_case_ids_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def test_profiles_differ_where_the_pages_differ():
    crun = {r.id for r in for_profile("crun")}
    openai = {r.id for r in for_profile("openai")}
    assert {"AUTH-002", "USAGE-001", "CHAT-005", "COMP-002", "COMP-004", "MODELS-003", "PARAM-011"} <= crun - openai
    assert {"USAGE-004", "CHAT-STREAM-007", "CHAT-011"} <= openai - crun
    assert "USAGE-004" in openai - crun


def test_a_live_run_stays_within_its_request_budget():
    """Issue 24: a live run for one model sends at most 120 requests as its plan counts them: every step of every
    case, the follow-ups a probe sends only when refused included, and GET /models to choose the model."""
    assert sum(case.most_requests for case in CASES) + 1 <= 120


def test_a_case_checks_each_requirement_once():
    """(requirement, endpoint, model, case) is a check's identity in reports, baselines, diffs and JUnit."""
    seen = [(check.requirement, case.id) for case in CASES for check in case.checks]
    assert sorted({key for key in seen if seen.count(key) > 1}) == []

"""crun-conformance diff: regressions and fixes named exactly, across models and tool versions; exit 1 on a regression."""

import json
import re

import pytest

from conformance.catalogue import requirements
from conformance.cli import main
from conformance.outcomes.verdict import FAILING
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reports import diff
from conformance.reports.reportfile import parse_report

KEY = "sk-diff-test-0123456789abcdef"


def failing(report):
    return {(c["id"], c["endpoint"], c["case"]) for c in report["checks"] if c["outcome"] in FAILING}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Two real runs: one server drops `[DONE]`, the other drops the unknown model's error code."""
    out = tmp_path_factory.mktemp("diff")
    for name, fault in (("old", "chat_no_done"), ("new", "unknown_model_no_code")):
        with ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset({fault}))) as server:
            code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "--model", "gpt-5.4",
                         "--messages-model", "claude-sonnet-4-5", "-q", "-k", "CHAT-STREAM-003 or ERR-003",
                         "--report-json", str(out / f"{name}.json")])
            assert code == 1
    return out


def test_diff_of_two_runs_names_the_regressions_and_fixes_exactly(reports, capsys, tmp_path):
    old, new = (json.loads((reports / f"{n}.json").read_text()) for n in ("old", "new"))
    capsys.readouterr()
    code = main(["diff", str(reports / "old.json"), str(reports / "new.json"), "--md", str(tmp_path / "d.md")])
    text = capsys.readouterr().out
    result = diff.diff(parse_report(json.dumps(old), "old"), parse_report(json.dumps(new), "new"))
    assert code == result.exit_code == 1
    regressed = failing(new) - failing(old)
    fixed = failing(old) - failing(new)
    assert {rid for rid, _, _ in regressed} == {"ERR-003"} and {rid for rid, _, _ in fixed} == {"CHAT-STREAM-003"}
    assert {(c.key[0], c.key[1], c.key[3]) for c in result.regressions} == regressed
    assert {(c.key[0], c.key[1], c.key[3]) for c in result.fixes} == fixed
    assert text.index(f"REGRESSIONS ({len(regressed)})") < text.index(f"Fixes ({len(fixed)})")
    for rid, endpoint, case in regressed | fixed:
        assert re.search(rf"{rid} {re.escape(endpoint)}( \S+)? \({case}\)", text), (rid, endpoint, case)
    assert "verdict: failed (unchanged)" in text
    markdown = (tmp_path / "d.md").read_text()
    assert markdown.startswith("# Conformance diff") and "## REGRESSIONS" in markdown and "## Fixes" in markdown
    assert KEY not in text + markdown


def test_the_reverse_diff_swaps_them(reports, capsys):
    assert main(["diff", str(reports / "new.json"), str(reports / "old.json")]) == 1
    text = capsys.readouterr().out
    regressions = text[text.index("REGRESSIONS"):text.index("Fixes")]
    assert "CHAT-STREAM-003" in regressions and "ERR-003" not in regressions


def test_a_report_diffed_with_itself_has_nothing_to_say(reports, capsys):
    assert main(["diff", str(reports / "old.json"), str(reports / "old.json")]) == 0
    assert "0 regression(s), 0 fix(es)" in capsys.readouterr().out


# Reports built by hand: matrices, tool versions, verdicts, cost


def check(rid, outcome, model=None, level="MUST", endpoint="POST /chat/completions", case="c"):
    return {"id": rid, "level": level, "endpoint": endpoint, "model": model, "case": case, "outcome": outcome,
            "actual": "it broke" if outcome == "failed" else ""}


def report(checks, **extra):
    return parse_report(json.dumps({"target": {"base_url": "http://x/v1", "profile": "crun"},
                                    "cost": {"requests": 10, "input_tokens": 100, "output_tokens": 50}, "checks": checks,
                                    **extra}), "r")


def test_matrix_reports_are_compared_model_by_model():
    old = report([check("CHAT-001", "passed", "a"), check("CHAT-001", "failed", "b"), check("CHAT-002", "passed", "a")],
                 models=["a", "b"], summary_by_model={"a": {"verdict": "certified"}, "b": {"verdict": "failed"}})
    new = report([check("CHAT-001", "failed", "a"), check("CHAT-001", "passed", "b"), check("CHAT-002", "passed", "c")],
                 models=["a", "b", "c"], summary_by_model={"a": {"verdict": "failed"}, "b": {"verdict": "certified"}})
    result = diff.diff(old, new)
    assert [c.key for c in result.regressions] == [("CHAT-001", "POST /chat/completions", "a", "c")]
    assert [c.key for c in result.fixes] == [("CHAT-001", "POST /chat/completions", "b", "c")]
    assert result.checks_added == [("CHAT-002", "POST /chat/completions", "c", "c")]
    assert result.checks_removed == [("CHAT-002", "POST /chat/completions", "a", "c")]
    assert result.models == (["c"], [])
    assert result.verdict_by_model == {"a": ("certified", "failed"), "b": ("failed", "certified")}
    assert "verdict for a: certified -> failed" in result.text()


def test_an_older_report_without_models_matches_every_model_of_a_matrix():
    old = report([{k: v for k, v in check("CHAT-001", "passed").items() if k != "model"}])
    new = report([check("CHAT-001", "failed", "a"), check("CHAT-001", "passed", "b")])
    result = diff.diff(old, new)
    assert [c.key[2] for c in result.regressions] == ["a"] and result.checks_added == []


def test_renamed_and_removed_requirements_are_not_regressions(monkeypatch):
    monkeypatch.setitem(requirements.RENAMED, "CHAT-OLD-001", "CHAT-001")
    old = report([check("CHAT-OLD-001", "passed"), check("GONE-001", "passed"), check("CHAT-002", "passed")])
    new = report([check("CHAT-001", "failed"), check("CHAT-003", "failed")])
    result = diff.diff(old, new, "old.json", "new.json")
    assert result.renamed == [("CHAT-OLD-001", "CHAT-001")]
    assert [c.key[0] for c in result.regressions] == ["CHAT-001"]  # the renamed requirement is compared under its new id
    assert result.removed == [("CHAT-002", "not judged in new.json"), ("GONE-001", "no longer in the catalogue")]
    assert result.added == ["CHAT-003"]
    text = result.text()
    assert "CHAT-OLD-001 -> CHAT-001" in text and "no longer in the catalogue (1):\n  GONE-001" in text
    assert result.exit_code == 1


def test_verdict_cost_and_duration_changes():
    old = report([check("CHAT-001", "failed", level="SHOULD")], certificate={"duration_s": 4.0, "tool_version": "0.1.0"})
    new = report([check("CHAT-001", "failed", level="MUST")], cost={"requests": 12, "input_tokens": 90, "output_tokens": 70},
                 certificate={"duration_s": 5.5, "tool_version": "0.2.0"})
    result = diff.diff(old, new)
    assert result.verdict == ("certified", "failed") and result.regressions == []
    assert result.cost == {"requests": (10, 12), "input_tokens": (100, 90), "output_tokens": (50, 70)}
    summary = result.summary()
    assert summary[0] == "verdict: certified -> failed"
    assert "requests 10 -> 12 (+2), input tokens 100 -> 90 (-10), output tokens 50 -> 70 (+20)" in summary[1]
    assert summary[2] == "duration: 4.0 s -> 5.5 s (+1.5 s)" and summary[3] == "tool version: 0.1.0 -> 0.2.0"


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("{\n  \"checks\": [,]\n}", ":2: not JSON"),
    ('{"checks": [{"id": "CHAT-001", "outcome": "maybe"}]}', "check #1 has no id or no valid outcome"),
])
def test_bad_reports_exit_2_in_one_line(content, message, tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"checks": []}))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    assert main(["diff", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "bad.json" in err


@pytest.mark.parametrize("change", [
    {"cost": {"requests": "x"}}, {"certificate": "x"},
    {"checks": [{"id": "CHAT-001", "outcome": "passed", "endpoint": ["a"]}]},
    {"checks": [{"id": "CHAT-001", "outcome": "failed", "violations_more": "x"}]},
])
def test_a_report_with_malformed_fields_is_refused_in_one_line(change, tmp_path, capsys):
    good = {"target": {}, "summary": {}, "cost": {"requests": 1}, "checks": [{"id": "CHAT-001", "outcome": "passed"}]}
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "bad.json").write_text(json.dumps({**good, **change}))
    assert main(["diff", str(tmp_path / "good.json"), str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_diff_warns_when_targets_or_profiles_differ_or_a_run_is_partial():
    old = report([check("CHAT-001", "passed")])
    other = parse_report(json.dumps({"target": {"base_url": "http://y/v1", "profile": "openai"}, "verdict": "partial",
                                     "coverage": {"checked": 1, "requirements": 105, "narrowed_by": "-k CHAT-001"},
                                     "checks": [check("CHAT-001", "passed")]}), "r")
    result = diff.diff(old, other, "OLD.json", "NEW.json")
    assert result.warnings == [
        "the reports judged different targets (http://x/v1 -> http://y/v1): the changes may be theirs, not a build's",
        "the reports judged different profiles (crun -> openai): the changes may be theirs, not a build's",
        "NEW.json is partial: 1 of 105 requirements checked (-k CHAT-001); the requirements it left out are not compared"]
    text = result.text()
    assert text.splitlines()[1].startswith("warning: the reports judged different targets")
    assert "verdict: certified -> partial" in text and "> **Warning**: NEW.json is partial" in result.markdown()
    assert diff.diff(old, old).warnings == []

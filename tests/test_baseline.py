"""certify --baseline: a recorded fault passes the gate, a new one fails it by name, a fix is reported, bad input exits 2."""

import json

import pytest

from conformance.catalogue import requirements
from conformance.cli import main
from conformance.outcomes.verdict import FAILING
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reports import baseline
from conformance.reports.reportfile import InputError

KEY = "sk-baseline-test-0123456789abcdef"
ONLY = "CHAT-STREAM-003 or ERR-003"  # the checks the two faults below break, and their neighbours that pass


def certify(server, *extra):
    return main(["certify", "--base-url", server.base_url, "--api-key", KEY, "--model", "gpt-5.4",
                 "--messages-model", "claude-sonnet-4-5", "-q", "-k", ONLY, *extra])


def failing(report):
    return {(c["id"], c["endpoint"], c["case"]) for c in report["checks"] if c["outcome"] in FAILING}


def section(out, title):
    """The check lines of one section of the gate's text: `ID ENDPOINT (case)` per line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    found = set()
    for line in lines[start + 1:]:
        if not line.strip():
            break
        if not line.startswith("      "):
            head = line.strip().split(" [", 1)[0]
            rid, rest = head.split(" ", 1)
            where, case = rest.rsplit(" (", 1)
            endpoint = " ".join(where.split()[:2])  # METHOD /path, without the model that may follow
            found.add((rid, endpoint, case.rstrip(")")))
    return found


@pytest.fixture(scope="module")
def servers():
    faults = {"no_done": {"chat_no_done"}, "two": {"chat_no_done", "unknown_model_no_code"}, "none": set()}
    started = {name: ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset(f))).start() for name, f in faults.items()}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture(scope="module")
def recorded(servers, tmp_path_factory):
    """A run of the server with one fault, and the expectations file written from its report."""
    out = tmp_path_factory.mktemp("baseline")
    code = certify(servers["no_done"], "--report-json", str(out / "a.json"))
    assert code == 1  # CHAT-STREAM-003 is a MUST
    return out, json.loads((out / "a.json").read_text())


@pytest.fixture
def expectations(recorded, capsys, tmp_path):
    out, _ = recorded
    capsys.readouterr()
    main(["baseline", str(out / "a.json")])
    path = tmp_path / "expectations.yaml"
    path.write_text(capsys.readouterr().out)
    return path


def test_the_expectations_file_lists_what_did_not_pass_with_a_reason_to_fill_in(recorded, expectations):
    _, report = recorded
    text = expectations.read_text()
    assert text.startswith("# crun-conformance expectations")
    assert "Every check NOT listed here is expected to pass" in text
    loaded = baseline.load(expectations)
    assert {(e.id, e.endpoint, e.case) for e in loaded.expectations} == failing(report) != set()
    assert all(e.outcome == "failed" and e.reason.startswith(baseline.REASON_PLACEHOLDER) for e in loaded.expectations)
    assert loaded.judged == {"CHAT-STREAM-003", "ERR-003"}
    assert KEY not in text


def test_a_fault_recorded_as_the_baseline_gives_exit_0(servers, recorded, expectations, capsys):
    out, _ = recorded
    assert certify(servers["no_done"], "--baseline", str(expectations)) == 0
    text = capsys.readouterr().out
    assert "baseline verdict: PASSED" in text and "REGRESSIONS" not in text
    assert certify(servers["no_done"], "--baseline", str(out / "a.json")) == 0  # an earlier report works the same


def test_a_second_fault_fails_the_gate_naming_exactly_the_new_failures(servers, recorded, expectations, capsys, tmp_path):
    _, before = recorded
    assert certify(servers["two"], "--baseline", str(expectations), "--report-json", str(tmp_path / "b.json")) == 1
    text = capsys.readouterr().out
    now = json.loads((tmp_path / "b.json").read_text())
    new = failing(now) - failing(before)
    assert new and {rid for rid, _, _ in new} == {"ERR-003"}
    assert section(text, "REGRESSIONS") == new
    gate_text = text[text.index("Baseline "):]
    assert gate_text.index("REGRESSIONS") < gate_text.index("Known failures")  # regressions come first
    assert f"baseline verdict: FAILED: {len(new)} regression(s)" in text


def test_a_fixed_fault_is_reported_and_fails_only_with_strict_baseline(servers, recorded, expectations, capsys):
    _, before = recorded
    assert certify(servers["none"], "--baseline", str(expectations)) == 0
    text = capsys.readouterr().out
    assert section(text, "fixed: update the baseline") == failing(before)
    assert certify(servers["none"], "--baseline", str(expectations), "--strict-baseline") == 1
    text = capsys.readouterr().out
    assert section(text, "fixed: update the baseline") == failing(before)
    assert f"FAILED: {len(failing(before))} fixed under --strict-baseline" in text


BAD = [
    ("missing.yaml", None, "no such file"),
    ("b.yaml", "expectations:\n  - id: [CHAT-001\n    outcome: failed\n", ":3: YAML does not parse"),
    ("b.yaml", "", ":1: expected a mapping with an `expectations` list"),
    ("b.yaml", "- id: CHAT-001\n", ":1: expected a mapping with an `expectations` list"),
    ("b.yaml", "version: 1\n", ":1: no `expectations` list"),
    ("b.yaml", "version: 2\nexpectations: []\n", ":1: unknown version '2'"),
    ("b.yaml", "expectations: 3\n", ":1: `expectations` must be a list"),
    ("b.yaml", "expectations:\n  - CHAT-001\n", ":2: an expectation must be a mapping"),
    ("b.yaml", "expectations:\n- id: CHAT-001\n  outcome: failed\n  reason: r\n  colour: red\n", ":5: unknown field 'colour'"),
    ("b.yaml", "expectations:\n- id: CHAT-001\n  outcome: failed\n", ":2: the expectation has no `reason`"),
    ("b.yaml", "expectations:\n- id: CHAT-001\n  outcome: failed\n  reason: r\n- id: CHAT-999\n  outcome: failed\n  reason: r\n",
     ":5: unknown requirement id 'CHAT-999'"),
    ("b.yaml", "expectations:\n- id: CHAT-001\n  outcome: broken\n  reason: r\n", ":2: bad outcome 'broken' for CHAT-001"),
    ("b.yaml", "expectations:\n- id: CHAT-001\n  endpoint: POST /messages\n  outcome: failed\n  reason: r\n",
     ":2: CHAT-001 is not checked on 'POST /messages'"),
    ("b.yaml", "expectations:\n- {id: CHAT-001, outcome: failed, reason: r}\n- {id: CHAT-001, outcome: passed, reason: s}\n",
     ":3: the same check as the entry at line 2"),
    ("b.yaml", "expectations:\n- id: CHAT-001\n  id: CHAT-002\n  outcome: failed\n  reason: r\n", ":3: field 'id' given twice"),
    ("b.yaml", "expectations: []\njudged: CHAT-001\n", ":2: `judged` must be a list"),
    ("b.json", '{"checks": [\n  {"id": "CHAT-001",\n}', ":3: not JSON"),
    ("b.json", '{"target": {}}', ":1: not a crun-conformance report"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD, ids=[f"{i}:{m}" for i, (_, _, m) in enumerate(BAD)])
def test_bad_baselines_exit_2_in_one_line_before_any_request(name, content, message, tmp_path, capsys):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    # nothing listens on port 9: had a request been made, the error would be about the target instead
    code = main(["certify", "--base-url", "http://127.0.0.1:9/v1", "--api-key", KEY, "--baseline", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"crun-conformance: {path}" if content is not None
                                                                      else "crun-conformance: --baseline ")
    assert message in captured.err
    assert "Traceback" not in captured.err and KEY not in captured.err


def test_strict_baseline_needs_a_baseline(capsys):
    assert main(["certify", "--base-url", "http://127.0.0.1:9/v1", "--api-key", KEY, "--strict-baseline"]) == 2
    assert capsys.readouterr().err == "crun-conformance: --strict-baseline needs --baseline FILE\n"


def test_baseline_command_refuses_a_file_that_is_not_a_report(tmp_path, capsys):
    (tmp_path / "r.json").write_text("[1, 2]")
    assert main(["baseline", str(tmp_path / "r.json")]) == 2
    assert capsys.readouterr().err == f"crun-conformance: {tmp_path / 'r.json'}:1: not a crun-conformance report (no \"checks\" list)\n"


# Pure comparisons, on checks built by hand


def check(rid, outcome, level="MUST", endpoint="POST /chat/completions", model=None, case="c", actual=""):
    return {"id": rid, "level": level, "endpoint": endpoint, "model": model, "case": case, "outcome": outcome,
            "actual": actual}


def parse(text):
    return baseline.parse_expectations(text, "e.yaml")


def test_an_entry_without_endpoint_or_model_matches_them_all_and_the_most_specific_wins():
    expectations = parse("expectations:\n"
                         "- {id: AUTH-001, outcome: failed, reason: every endpoint}\n"
                         "- {id: AUTH-001, endpoint: GET /models, outcome: passed, reason: except this one}\n")
    checks = [check("AUTH-001", "failed", endpoint=e, model=m) for e in ("POST /chat/completions", "POST /messages")
              for m in ("gpt-5.4", "claude-sonnet-4-5")] + [check("AUTH-001", "failed", endpoint="GET /models")]
    result = baseline.compare(checks, expectations)
    assert len(result.known) == 4
    assert [f.key[1] for f in result.regressions] == ["GET /models"]
    assert result.exit_code == 1 and result.not_run == []


def test_unlisted_checks_are_expected_to_pass_unless_their_requirement_is_new():
    expectations = parse("expectations: []\njudged: [CHAT-001]\n")
    result = baseline.compare([check("CHAT-001", "failed"), check("CHAT-002", "failed", level="SHOULD")], expectations)
    assert [f.key[0] for f in result.regressions] == ["CHAT-001"]
    assert result.new_checks == 1 and result.new_failures == []  # a new SHOULD failure is judged on its own level
    result = baseline.compare([check("CHAT-002", "failed", level="SHOULD")], expectations, strict=True)
    assert [f.key[0] for f in result.new_failures] == ["CHAT-002"] and result.exit_code == 1
    result = baseline.compare([check("CHAT-002", "failed", level="MUST")], expectations)
    assert result.exit_code == 1 and result.regressions == []


def test_an_older_report_without_models_is_a_baseline_for_every_model():
    old = {"checks": [check("CHAT-001", "failed"), check("CHAT-002", "passed")]}
    for c in old["checks"]:
        del c["model"]
    loaded = baseline.from_report({"checks": [{"model": None, **c} for c in old["checks"]]}, "old.json")
    now = [check("CHAT-001", "failed", model="a"), check("CHAT-001", "passed", model="b"),
           check("CHAT-002", "failed", model="a"), check("CHAT-003", "failed", model="a")]
    result = baseline.compare(now, loaded)
    assert [f.key for f in result.regressions] == [("CHAT-002", "POST /chat/completions", "a", "c")]
    assert [f.key[2] for f in result.fixed] == ["b"] and [f.key[2] for f in result.known] == ["a"]
    assert result.new_checks == 1 and [f.key[0] for f in result.new_failures] == ["CHAT-003"]


def test_a_check_skipped_in_the_baseline_that_fails_now_is_judged_on_its_level():
    loaded = baseline.from_report({"checks": [check("CAP-001", "skipped", level="MAY"), check("SDK-001", "skipped")]}, "r")
    result = baseline.compare([check("CAP-001", "failed", level="MAY"), check("SDK-001", "failed")], loaded)
    assert result.regressions == [] and [f.key[0] for f in result.new_failures] == ["SDK-001"]


def test_renamed_requirements_follow_their_new_id_and_removed_ones_are_noted(monkeypatch):
    monkeypatch.setitem(requirements.RENAMED, "OLD-CHAT-001", "CHAT-001")
    expectations = parse("expectations:\n- {id: OLD-CHAT-001, outcome: failed, reason: renamed since}\n")
    assert baseline.compare([check("CHAT-001", "failed")], expectations).known
    loaded = baseline.from_report({"checks": [check("OLD-CHAT-001", "failed"), check("GONE-001", "failed")]}, "r.json")
    assert [e.id for e in loaded.expectations] == ["CHAT-001"]
    assert loaded.notes == ["ignored 1 requirement(s) of the baseline that this version no longer has: GONE-001"]


def test_entries_that_match_nothing_are_listed_but_do_not_fail():
    expectations = parse("expectations:\n- {id: MSG-001, outcome: failed, reason: r}\n")
    result = baseline.compare([check("CHAT-001", "passed")], expectations)
    assert result.exit_code == 0 and [e.id for e in result.not_run] == ["MSG-001"]
    assert "MSG-001 (line 2)" in result.text()


def test_an_expectations_file_written_from_a_report_accepts_that_report():
    report = {"target": {"base_url": "http://x/v1", "profile": "crun"},
              "checks": [check("CHAT-001", "failed", model="a", actual="no\nchoices"), check("CHAT-002", "passed"),
                         check("CAP-001", "skipped", level="MAY", actual="not supported: tools"),
                         check("AUTH-003", "error", endpoint="GET /models")]}
    text = baseline.expectations_yaml(report, "r.json")
    loaded = parse(text)
    assert [(e.id, e.outcome, e.model) for e in loaded.expectations] == [
        ("AUTH-003", "error", None), ("CHAT-001", "failed", "a"), ("CAP-001", "skipped", None)]
    result = baseline.compare(report["checks"], loaded)
    assert result.exit_code == 0 and result.compared == 4 and result.not_run == []
    assert "observed: no choices" in loaded.expectations[1].reason


def test_gate_emits_the_text_and_returns_the_exit_code(tmp_path):
    (tmp_path / "e.yaml").write_text("expectations: []\n")
    said = []
    assert baseline.gate({"checks": [check("CHAT-001", "failed")]}, tmp_path / "e.yaml", False, said.append) == 1
    assert said[0].splitlines()[-1] == "baseline verdict: FAILED: 1 regression(s)"
    with pytest.raises(InputError):
        baseline.gate({"checks": []}, tmp_path / "nothing.yaml", False, said.append)


PARTIAL_REPORT = {"target": {"base_url": "http://x/v1", "profile": "crun"}, "verdict": "partial",
                  "coverage": {"checked": 1, "requirements": 105, "narrowed_by": "-k CHAT-001"},
                  "checks": [check("CHAT-001", "failed", actual="broke")]}


def test_a_partial_report_says_so_as_a_baseline_and_when_written_as_expectations(tmp_path, capsys):
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(PARTIAL_REPORT))
    assert main(["baseline", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == (f"crun-conformance: warning: {path} is partial: 1 of 105 requirements checked (-k CHAT-001); "
                            "checks of the requirements it left out are judged on their own level\n")
    assert "# Note: that report is partial: 1 of 105 requirements checked" in captured.out
    assert "judged: [CHAT-001]" in captured.out  # a later run judges the others on their own level
    loaded = baseline.load(path)
    assert loaded.notes == ["the baseline is partial: 1 of 105 requirements checked (-k CHAT-001); checks of the "
                            "requirements it left out are judged on their own level"]
    run = {"coverage": {"checked": 1, "requirements": 105, "narrowed_by": "-k CHAT-001"},
           "checks": [check("CHAT-001", "failed")]}
    lines: list[str] = []
    assert baseline.gate(run, loaded, emit=lines.append) == 0
    assert "note: this run is partial: 1 of 105 requirements checked (-k CHAT-001)" in lines[0]

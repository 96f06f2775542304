"""The matrix view-model and its terminal and Markdown renderers, on small hand-made reports."""

from __future__ import annotations

import pytest

from conformance.catalogue.requirements import CATALOGUE
from conformance.reports import markdown, terminal
from conformance.reports import matrix as matrices


def check(rid: str, outcome: str = "passed", model: str | None = "m1", level: str = "MUST", actual: str = "",
          endpoint: str = "POST /chat/completions", case: str = "case", **extra) -> dict:
    return {"id": rid, "level": level, "endpoint": endpoint, "model": model, "statement": f"statement of {rid}",
            "source": "a page", "case": case, "outcome": outcome, "expected": "something", "actual": actual,
            "violations": [], "violations_more": 0, "duration_s": 0.01, "exchange": "", **extra}


def report(checks: list[dict], models: list[str] | None = ("m1", "m2"), base_url: str = "http://gw.example/v1",
           strict: bool = False, **extra) -> dict:
    out = {"target": {"base_url": base_url, "kind": "live", "profile": "crun", "models": list(models or [])},
           "strict": strict, "checks": checks, **extra}
    if models is not None:
        out["models"] = list(models)
    return out


def cell(m: matrices.Matrix, rid: str, column: int) -> matrices.Cell:
    row = next(r for r in m.rows if r.id == rid)
    return next(c for c in row.cells if column in c.columns)


def test_one_report_has_a_column_per_model_and_rows_in_catalogue_order():
    m = matrices.build([report([check("CHAT-002", model="m2"), check("AUTH-001"), check("CHAT-001", "failed"),
                                check("CHAT-STREAM-003", model="m2")])])
    assert [c.label for c in m.columns] == ["m1", "m2"]
    assert [r.id for r in m.rows] == ["AUTH-001", "CHAT-001", "CHAT-002", "CHAT-STREAM-003"]
    assert [a.name for a in m.areas] == ["AUTH", "CHAT", "CHAT-STREAM"]
    assert cell(m, "CHAT-001", 0).mark == "fail"
    assert cell(m, "CHAT-001", 1).mark == "not checked" and not cell(m, "CHAT-001", 1).judged
    assert cell(m, "CHAT-002", 1).mark == "pass" and cell(m, "CHAT-002", 0).mark == "not checked"
    assert len(m.cells) == 4


def test_models_named_twice_or_only_by_checks_are_one_column_each():
    m = matrices.build([report([check("CHAT-001", model="m3"), check("CHAT-001", model="m1")], models=["m1", "m2", "m1"])])
    assert [c.model for c in m.columns] == ["m1", "m2", "m3"]


def test_unknown_requirements_come_last_and_keep_their_statement():
    m = matrices.build([report([check("ZZZ-NEW-001"), check("AUTH-001")])])
    assert [r.id for r in m.rows] == ["AUTH-001", "ZZZ-NEW-001"]
    assert m.rows[-1].area == "ZZZ-NEW" and m.rows[-1].statement == "statement of ZZZ-NEW-001"


@pytest.mark.parametrize(("worse", "better"), [
    ("error", "failed"), ("failed", "passed"), ("passed", "not supported"), ("not supported", "skipped")])
def test_the_worst_mark_of_a_cell_wins(worse, better):
    def make(name: str, case: str) -> dict:
        if name == "not supported":
            return check("CAP-001", "skipped", actual="not supported: 400 with an OpenAI error", case=case)
        return check("CAP-001", name, actual="no time" if name == "skipped" else "", case=case)

    for order in ((worse, better), (better, worse)):
        m = matrices.build([report([make(order[0], "a"), make(order[1], "b")], models=["m1"])])
        expected = {"error": "error", "failed": "fail", "passed": "pass", "not supported": "not supported"}[worse]
        assert cell(m, "CAP-001", 0).mark == expected
        assert len(cell(m, "CAP-001", 0).checks) == 2


def test_skipped_is_not_supported_only_when_the_actual_says_so():
    m = matrices.build([report([check("CAP-001", "skipped", actual="not supported: declined"),
                                check("SDK-001", "skipped", actual="the SDKs send with httpx2")], models=["m1"])])
    assert cell(m, "CAP-001", 0).mark == "not supported"
    assert cell(m, "SDK-001", 0).mark == "skip"


def test_a_model_independent_requirement_is_one_cell_spanning_its_report():
    m = matrices.build([report([check("MODELS-001", model=None, endpoint="GET /models"), check("CHAT-001"),
                                check("CHAT-001", model="m2")])])
    shared = next(r for r in m.rows if r.id == "MODELS-001").cells
    assert len(shared) == 1 and shared[0].columns == (0, 1) and shared[0].mark == "pass"
    assert len(m.cells) == 3  # counted once, not once per model


def test_a_model_independent_check_joins_each_column_of_a_mixed_requirement():
    m = matrices.build([report([check("AUTH-001", "failed", model=None, endpoint="GET /models"),
                                check("AUTH-001", model="m1"), check("AUTH-001", model="m2")])])
    assert [cell(m, "AUTH-001", i).mark for i in (0, 1)] == ["fail", "fail"]
    assert [len(cell(m, "AUTH-001", i).checks) for i in (0, 1)] == [2, 2]


def test_a_model_independent_failure_fails_every_column_but_is_listed_once():
    m = matrices.build([report([check("AUTH-003", "failed", model=None), check("CHAT-001"), check("CHAT-001", model="m2")])])
    assert [c.verdict for c in m.columns] == ["failed", "failed"]
    assert [c.broken_by for c in m.columns] == [["AUTH-003"], ["AUTH-003"]]
    assert [(g.title, [c.id for c in g.checks]) for g in m.failures] == [("any model", ["AUTH-003"])]
    assert m.targets[0].summary == {"passed": 2, "failed": 1, "skipped": 0, "error": 0}


def test_failures_are_grouped_by_column_and_stay_in_their_column():
    m = matrices.build([report([check("CHAT-001", "failed", model="m2", actual="500"), check("CHAT-001"),
                                check("USAGE-001", "error", model="m2")])])
    assert [c.verdict for c in m.columns] == ["certified", "failed"]
    assert [(g.title, g.columns, [c.id for c in g.checks]) for g in m.failures] == [("m2", (1,), ["CHAT-001", "USAGE-001"])]
    assert cell(m, "CHAT-001", 0).mark == "pass" and cell(m, "CHAT-001", 1).mark == "fail"


def test_a_should_failure_fails_a_column_only_under_strict():
    checks = [check("CHAT-STREAM-006", "failed", level="SHOULD")]
    assert matrices.build([report(checks, models=["m1"])]).columns[0].verdict == "certified"
    assert matrices.build([report(checks, models=["m1"], strict=True)]).columns[0].verdict == "failed"
    may = [check("CAP-001", "failed", level="MAY")]
    assert matrices.build([report(may, models=["m1"], strict=True)]).columns[0].verdict == "certified"


def test_the_verdict_comes_from_the_checks_not_from_a_summary():
    claimed = report([check("CHAT-001", "failed")], models=["m1"], summary_by_model={"m1": {"verdict": "certified"}},
                     verdict="certified")
    assert matrices.build([claimed]).columns[0].verdict == "failed"


def test_several_reports_give_target_x_model_columns_and_keep_their_checks_apart():
    a = report([check("CHAT-001", "failed"), check("MODELS-001", model=None)], models=["m1"], base_url="http://a/v1")
    b = report([check("CHAT-001", model="x"), check("CHAT-001", model="y"), check("MODELS-001", "failed", model=None)],
               models=["x", "y"], base_url="http://b/v1")
    m = matrices.build([a, b])
    assert [c.label for c in m.columns] == ["http://a/v1 × m1", "http://b/v1 × x", "http://b/v1 × y"]
    assert [cell(m, "CHAT-001", i).mark for i in range(3)] == ["fail", "pass", "pass"]
    models_row = next(r for r in m.rows if r.id == "MODELS-001").cells
    assert [(c.columns, c.mark) for c in models_row] == [((0,), "pass"), ((1, 2), "fail")]
    assert [c.verdict for c in m.columns] == ["failed", "failed", "failed"]
    assert [g.title for g in m.failures] == ["http://a/v1 × m1", "http://b/v1 × any model"]
    named = matrices.build([a, b], ["alpha", "beta"])
    assert [c.label for c in named.columns] == ["alpha × m1", "beta × x", "beta × y"]
    same = matrices.build([a, a])
    assert [t.label for t in same.targets] == ["http://a/v1", "http://a/v1 #2"]
    with pytest.raises(ValueError):
        matrices.build([a, b], ["only one"])


def test_old_reports_without_models_or_violations_are_one_column_each():
    old = {"target": {"base_url": "http://old/v1", "kind": "live", "profile": "crun", "models": ["gpt-5.4"]},
           "summary": {"passed": 1, "failed": 1, "skipped": 0, "error": 0},
           "checks": [{"id": "AUTH-001", "level": "MUST", "endpoint": "GET /models", "statement": "s", "case": "c",
                       "outcome": "passed", "expected": "", "actual": "", "duration_s": 0.0, "exchange": ""},
                      {"id": "CHAT-001", "level": "MUST", "outcome": "failed"}]}
    m = matrices.build([old, report([check("CHAT-001")], models=["m1"])])
    assert [(c.label, c.model) for c in m.columns] == [("http://old/v1", None), ("http://gw.example/v1 × m1", "m1")]
    assert cell(m, "CHAT-001", 0).mark == "fail" and cell(m, "CHAT-001", 1).mark == "pass"
    failed = cell(m, "CHAT-001", 0).checks[0]
    assert failed.violations == () and failed.model is None
    assert failed.statement == next(r.statement for r in CATALOGUE if r.id == "CHAT-001")
    assert m.columns[0].verdict == "failed"
    assert [g.title for g in m.failures] == ["http://old/v1"]
    assert matrices.model_text(m, failed) == "not recorded in this report"


@pytest.mark.parametrize("bad", [[], {"checks": {}}, {"target": {}}, {"checks": [{"id": "A-001"}]},
                                 {"checks": [{"id": "A-001", "outcome": "maybe"}]}, {"checks": ["x"]}])
def test_something_that_is_not_a_report_is_refused(bad):
    with pytest.raises(matrices.NotAReport):
        matrices.build([bad])


def _wide() -> matrices.Matrix:
    models = [f"provider-{i}/a-rather-long-model-name-{i}" for i in range(6)]
    checks = [check(r.id, "failed" if r.id == "CHAT-003" and m == models[2] else "passed", model=m)
              for r in CATALOGUE[:30] for m in models]
    return matrices.build([report(checks, models=models)])


def test_the_terminal_matrix_fits_100_columns_with_a_key_for_long_labels():
    text = terminal.render(_wide())
    table = text.split("\n\n")[0].splitlines()
    assert table[0].split()[:3] == ["requirement", "level", "A"]
    assert all(len(line) <= terminal.WIDTH == 100 for line in text.splitlines())
    assert "C = provider-2/a-rather-long-model-name-2" in text
    assert "legend: ERROR error; FAIL fail; N/J not judged; PASS pass;\n        N/S not supported; SKIP skip; - not checked" in text
    failures = text.split("Failures (requirement, where, expected, actual, exchange):")[1]
    assert "CHAT-003" in failures and "on:       provider-2/a-rather-long-model-name-2" in failures
    row = next(line for line in table if line.strip().startswith("CHAT-003"))
    assert row.split()[2:8] == ["PASS", "PASS", "FAIL", "PASS", "PASS", "PASS"]
    assert text.splitlines()[-1] == "verdict: FAILED in 1 of 6 columns (provider-2/a-rather-long-model-name-2)"


def _many(n: int, failing: dict[str, set[int]]) -> matrices.Matrix:
    """n models over the first 40 requirements, each failing the requirements `failing` names for it."""
    models = [f"vendor-{i % 7}/model-{i:03d}" for i in range(n)]
    checks = [check("MODELS-001", model=None, endpoint="GET /models")]
    checks += [check(r.id, "failed" if i in failing.get(r.id, ()) else "passed", model=m, actual=f"broken on {m}")
               for r in CATALOGUE[:40] if r.id != "MODELS-001" for i, m in enumerate(models)]
    return matrices.build([report(checks, models=models)])


def test_many_columns_show_the_failing_requirements_by_model_not_a_grid():
    text = terminal.render(_many(30, {"CHAT-001": {29}, "CHAT-003": {4, 29}}))
    assert all(len(line) <= 100 for line in text.splitlines())
    assert not any(line.startswith("requirement") for line in text.splitlines())  # no 30-column grid
    assert "30 columns, grouped by identical outcomes:" in text
    assert "  1 model: FAILED, FAIL CHAT-001, CHAT-003 (vendor-1/model-029)" in text
    assert "  1 model: FAILED, FAIL CHAT-003 (vendor-4/model-004)" in text
    assert "  28 models: CERTIFIED, all pass" in text
    grid = text.split("failing requirements × the 2 models they fail on:")[1].split("\n\n")[0].splitlines()
    assert grid[1].split() == ["requirement", "level", "A", "B"]
    assert grid[2].split() == ["CHAT-001", "MUST", "PASS", "FAIL"] and grid[3].split() == ["CHAT-003", "MUST", "FAIL", "FAIL"]
    assert "A = vendor-4/model-004" in text and "B = vendor-1/model-029" in text
    assert text.splitlines()[-1] == "verdict: FAILED in 2 of 30 columns (vendor-4/model-004, vendor-1/model-029)"


def test_a_requirement_failing_on_more_models_than_fit_is_listed_with_its_models_and_counts():
    text = terminal.render(_many(100, {"CHAT-001": set(range(0, 100, 3)), "CHAT-002": {7}}))
    assert all(len(line) <= 100 for line in text.splitlines())
    assert "  CHAT-001 [MUST] FAIL on 34 of 100: vendor-0/model-000, vendor-3/model-003 and 32 more" in text
    assert "  CHAT-002 [MUST] FAIL on 1 of 100: vendor-0/model-007" in text
    failures = text.split("Failures (")[1]
    assert failures.count("  CHAT-001 [MUST]") == terminal.EXAMPLES  # a few examples, then the others named and counted
    assert f"CHAT-001 (case) failed on {34 - terminal.EXAMPLES} more: " in failures
    assert text.splitlines()[-1] == "verdict: FAILED in 35 of 100 columns (vendor-0/model-000, vendor-3/model-003 and 33 more)"


def test_quiet_prints_the_target_the_counts_and_the_verdict_of_a_passing_run():
    m = matrices.build([report([check(r.id, model=mo) for r in CATALOGUE for mo in ("m1", "m2")])])
    text = terminal.render(m, quiet=True)
    assert text.splitlines() == [
        "target: http://gw.example/v1 (live target, profile crun), 2 models",
        f"{2 * len(CATALOGUE)} passed, 0 failed, 0 skipped, 0 error",
        "verdict: CERTIFIED in every column (2)"]
    assert len(terminal.render(m).splitlines()) > len(CATALOGUE)  # the default view has the matrix


def test_quiet_keeps_every_failure():
    m = matrices.build([report([check("CHAT-001", "failed", actual="HTTP 500"), check("CHAT-002")], models=["m1"])])
    text = terminal.render(m, quiet=True)
    assert not any(line.startswith("requirement") for line in text.splitlines())
    assert "  CHAT-001 [MUST] POST /chat/completions (case): statement of CHAT-001" in text
    assert "    actual:   HTTP 500" in text and text.splitlines()[-1] == "verdict: FAILED (m1)"
    assert len(text.splitlines()) <= 20


def test_the_terminal_matrix_uses_short_labels_as_headers_and_lists_verdicts_and_failures():
    m = matrices.build([report([check("CHAT-001", "failed", model="m2", actual="HTTP 500",
                                      violations=["HTTP 500", "status 500", "no body"], violations_more=3),
                                check("CHAT-001"), check("CAP-001", "skipped", actual="not supported: 400")])])
    text = terminal.render(m)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["requirement", "level", "m1", "m2"]
    assert next(line for line in lines if line.strip().startswith("CHAT-001")).split()[2:4] == ["PASS", "FAIL"]
    assert next(line for line in lines if line.strip().startswith("CAP-001")).split()[2:4] == ["N/S", "-"]
    assert "  m1  CERTIFIED" in text and "  m2  FAILED: CHAT-001" in text
    assert "verdict: FAILED in 1 of 2 columns (m2)" in text
    failures = text.split("Failures (requirement, where, expected, actual, exchange):")[1]
    assert "actual:   HTTP 500" in failures and "violation: status 500" in failures and "and 3 more violations" in failures
    assert "violation: HTTP 500" not in failures  # it only repeats `actual`


def test_the_summary_says_what_was_certified():
    text = terminal.render(matrices.build([report([check("CHAT-001")], models=["m1"], strict=True)]))
    assert text.splitlines()[-3:] == ["target: http://gw.example/v1 (live target, profile crun, strict), 1 model",
                                      "1 passed, 0 failed, 0 skipped, 0 error", "verdict: CERTIFIED (m1)"]
    assert matrices.target_text("http://gw/v1", "reference", "openai") == "http://gw/v1 (reference target, profile openai)"


def test_a_stream_that_fails_at_its_end_shows_the_end_of_the_exchange():
    from conformance.wire.exchange import Exchange, Request

    events = b"".join(b'data: {"n": %d, "delta": "word"}\n\n' % i for i in range(200))
    exchange = Exchange(Request("POST", "/chat/completions", {"stream": True}), 200, {"content-type": "text/event-stream"},
                        events + b'data: {"usage": "THE-END"}\n\n').summary()
    assert exchange.startswith('POST /chat/completions (auth: bearer) -> 200 text/event-stream: data: {"n": 0')
    assert exchange.rstrip().endswith('data: {"usage": "THE-END"}') and "not shown" in exchange
    m = matrices.build([report([check("CHAT-STREAM-003", "failed", actual="no [DONE]", exchange=exchange)], models=["m1"])])
    lines = terminal.render(m, quiet=True).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("    exchange: "))
    assert lines[at] == "    exchange: POST /chat/completions (auth: bearer) -> 200 text/event-stream, its end:"
    assert lines[at + 2].endswith('data: {"usage": "THE-END"}') and all(len(line) <= 100 for line in lines)
    plain = Exchange(Request("POST", "/chat/completions", {}), 400, {"content-type": "application/json"}, b'{"error": 1}' * 100)
    assert plain.summary().endswith(f"… ({len(plain.body)} bytes)")  # a JSON body: its start


def test_markdown_has_the_same_matrix_and_escapes_server_text():
    m = matrices.build([report([check("CHAT-001", "failed", model="m2", actual="<script>alert(1)</script> a|b",
                                      exchange="POST /chat/completions -> 500\n```\nbody"),
                                check("CHAT-001"), check("MODELS-001", model=None)])])
    text = markdown.render(m)
    assert "| requirement | level | m1 | m2 | statement |" in text
    assert "| CHAT-001 | MUST | PASS | **FAIL** |" in text
    assert "| MODELS-001 | MUST | PASS | PASS |" in text
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; a\\|b" in text
    assert "\n````\nPOST /chat/completions -> 500\n```\nbody\n````\n" in text
    assert "- **m2**: FAILED: CHAT-001" in text


def test_markdown_drops_a_violation_that_repeats_the_actual():
    m = matrices.build([report([check("CHAT-001", "failed", actual="HTTP 500", violations=["HTTP  500", "no body"])])])
    text = markdown.render(m)
    assert "- actual: HTTP 500" in text and "- violation: no body" in text and "- violation: HTTP" not in text


def test_markdown_lists_skipped_and_not_supported_checks_with_where_they_were_judged():
    m = matrices.build([report([check("CHAT-001"), check("CAP-001", "skipped", actual="not supported: 400"),
                                check("SDK-001", "skipped", actual="no SDK here")])])
    text = markdown.render(m)
    assert "not supported: 400" in text and "no SDK here" in text


def test_markdown_answers_which_requirements_fail_on_which_models_before_the_table():
    text = markdown.render(_many(100, {"CHAT-001": {3, 7}}))
    assert text.index("## Failing requirements") < text.index("## Columns by outcome") < text.index("| requirement | level | vendor")
    assert "| CHAT-001 | MUST | 2 of 100 | vendor-3/model-003, vendor-0/model-007 |" in text
    assert "- **98 models** (CERTIFIED): all pass: " in text and "- **2 models** (FAILED): FAIL CHAT-001: " in text
    one = markdown.render(matrices.build([report([check("CHAT-001")], models=["m1"])]))
    assert "None: no requirement failed." in one and "## Columns by outcome" not in one

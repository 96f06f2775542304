"""`crun-conformance report A.json B.json ...`: one merged matrix; bad input exits 2 in one line."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main


def _report(base_url: str, outcome: str) -> dict:
    return {"target": {"base_url": base_url, "kind": "live", "profile": "crun", "models": ["m1"]}, "models": ["m1"],
            "checks": [{"id": "CHAT-001", "level": "MUST", "endpoint": "POST /chat/completions", "model": "m1",
                        "statement": "s", "source": "src", "case": "chat_basic", "outcome": outcome,
                        "expected": "a chat.completion", "actual": "HTTP 500" if outcome == "failed" else "",
                        "violations": [], "violations_more": 0, "duration_s": 0.1, "exchange": ""},
                       {"id": "MODELS-001", "level": "MUST", "endpoint": "GET /models", "model": None, "statement": "s",
                        "source": "src", "case": "models_list", "outcome": "passed", "expected": "", "actual": "",
                        "violations": [], "violations_more": 0, "duration_s": 0.1, "exchange": ""}]}


@pytest.fixture
def files(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_report("http://a.example/v1", "failed")))
    b.write_text(json.dumps(_report("http://b.example/v1", "passed")))
    return a, b


def test_merges_reports_into_one_matrix_and_writes_html_and_markdown(files, tmp_path, capsys):
    html, md = tmp_path / "out" / "m.html", tmp_path / "out" / "m.md"
    code = main(["report", str(files[0]), str(files[1]), "--label", "alpha", "--label", "beta",
                 "--html", str(html), "--md", str(md)])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 1  # a column failed: report exits as certify does
    assert captured.err.splitlines() == [f"crun-conformance: HTML report written to {html}",
                                         f"crun-conformance: Markdown report written to {md}"]
    assert out.splitlines()[0].split() == ["requirement", "level", "alpha", "×", "m1", "beta", "×", "m1"]
    row = next(line for line in out.splitlines() if line.strip().startswith("CHAT-001"))
    assert row.split()[2:4] == ["FAIL", "PASS"]
    assert "  alpha × m1  FAILED: CHAT-001" in out and "  beta × m1   CERTIFIED" in out
    assert "alpha × m1" in html.read_text() and "| CHAT-001 | MUST | **FAIL** | PASS |" in md.read_text()


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("{not json", "not JSON"),
    ("[1, 2]", "not a crun-conformance report"),
    ('{"checks": [{"id": "CHAT-001", "outcome": "perhaps"}]}', "check #1 has no id or no valid outcome"),
    (b"\xff\xfe\x00bad", "cannot be read"),
])
def test_a_bad_report_file_is_one_line_and_exit_2(files, tmp_path, capsys, content, message):
    bad = tmp_path / "bad.json"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    elif content is not None:
        bad.write_text(content)
    code = main(["report", str(files[0]), str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("crun-conformance: ") and str(bad) in err and message in err
    assert "Traceback" not in err


def test_labels_must_match_the_reports(files, capsys):
    assert main(["report", str(files[0]), str(files[1]), "--label", "only-one"]) == 2
    err = capsys.readouterr().err
    assert err == "crun-conformance: 1 --label for 2 reports: give one per report or none\n"


def test_an_unwritable_output_is_one_line_and_exit_2(files, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", str(files[0]), "--html", str(blocker / "sub" / "m.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crun-conformance: cannot write") and err.count("\n") == 1


def test_the_exit_code_is_the_merged_verdict(tmp_path, capsys):
    passed = tmp_path / "p.json"
    passed.write_text(json.dumps(_report("http://b.example/v1", "passed")))
    assert main(["report", str(passed), str(passed)]) == 0
    assert "verdict: CERTIFIED in every column (2)" in capsys.readouterr().out
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({**_report("http://b.example/v1", "passed"),
                                   "coverage": {"checked": 2, "requirements": 105, "narrowed_by": "-k CHAT-001"}}))
    assert main(["report", str(partial)]) == 0
    out = capsys.readouterr().out
    assert "verdict: PARTIAL: 2 of 105 requirements checked (-k CHAT-001)" in out and "CERTIFIED" not in out
    skipped = tmp_path / "skipped.json"
    skipped.write_text(json.dumps({"checks": [{"id": "CHAT-001", "level": "MUST", "model": "m1", "outcome": "skipped",
                                               "actual": "not supported: declined"}], "models": ["m1"]}))
    assert main(["report", str(skipped)]) == 0
    assert "verdict: NOT JUDGED: no check could be judged" in capsys.readouterr().out


def test_a_load_report_is_refused_in_one_line_by_report_diff_and_baseline(files, tmp_path, capsys):
    load = tmp_path / "load.json"
    load.write_text(json.dumps({**_report("http://a.example/v1", "passed"), "verdict": "certified",
                                "run": {"answers": 3}, "http": {"2xx": 3}, "latency": {}}))
    for argv in (["report", str(load)], ["diff", str(files[1]), str(load)], ["baseline", str(load)]):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err
        assert f"{load}: a load report (crun-conformance load), not a certification" in captured.err

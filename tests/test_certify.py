"""`crun-conformance certify` end to end: the reference server passes everything, bad input exits 2 in one line."""

import json
import socket

import pytest
from test_readme import quoted_live_requests

from conformance.catalogue.requirements import CATALOGUE
from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer

KEY = "sk-certify-test-0123456789abcdef"


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as srv:
        yield srv


@pytest.fixture(scope="module")
def certified(server, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q",
                 "--report-json", str(out / "r.json"), "--report-md", str(out / "r.md"),
                 "--junit-xml", str(out / "junit.xml")])
    return code, json.loads((out / "r.json").read_text()), (out / "r.md").read_text(), (out / "junit.xml").read_text()


def test_reference_server_passes_every_must_and_should(certified):
    code, report, _, _ = certified
    assert code == 0
    bad = [(c["id"], c["case"], c["actual"]) for c in report["checks"] if c["outcome"] not in ("passed",)]
    assert bad == []
    assert report["summary"]["failed"] == report["summary"]["error"] == 0


def test_every_requirement_of_the_profile_was_judged(certified):
    _, report, _, _ = certified
    judged = {c["id"] for c in report["checks"]}
    assert judged == {r.id for r in CATALOGUE if r.level("crun") and not r.id.startswith("FUZZ-")}


def test_report_has_the_documented_shape_and_cost(certified):
    _, report, _, _ = certified
    assert {"target", "models", "summary", "summary_by_model", "cost", "checks", "verdict", "strict", "certificate"} <= set(report)
    assert report["verdict"] == "certified" and report["models"] == ["gpt-5.4", "claude-sonnet-4-5"]
    assert set(report["summary_by_model"]) == set(report["models"])
    assert {"base_url", "profile", "models"} <= set(report["target"])
    assert report["cost"]["requests"] == quoted_live_requests()[0]  # the figure README.md quotes
    assert report["cost"]["input_tokens"] + report["cost"]["output_tokens"] <= 10_000
    for check in report["checks"]:
        assert {"id", "level", "endpoint", "model", "statement", "source", "outcome", "expected", "actual",
                "violations", "duration_s"} <= set(check)


def test_the_key_appears_in_no_report(certified):
    _, report, markdown, junit = certified
    for text in (json.dumps(report), markdown, junit):
        assert KEY not in text


def test_quiet_prints_only_what_was_certified_the_counts_and_the_verdict(server, capsys):
    assert main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) <= 20 and lines[0] == f"target: {server.base_url} (live target, profile crun), 2 models"
    assert lines[-1] == "verdict: CERTIFIED in every column (2)" and " passed, 0 failed, " in lines[1]


def test_a_run_says_what_it_certifies_at_the_start_and_in_the_summary_within_100_columns(server, capsys):
    assert main(["certify", "--base-url", server.base_url, "--api-key", KEY, "--profile", "openai", "-k", "CHAT"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines()[0] == f"crun-conformance: certifying {server.base_url} (live target, profile openai)"
    assert all(len(line) <= 100 for line in out.splitlines())
    # the last lines: the target, the counts (a partial run's wrap in two), the verdict
    assert f"target: {server.base_url} (live target, profile openai), 2 models" in out.splitlines()[-4:-2]


def test_openai_profile_asks_less(server, tmp_path):
    code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "--profile", "openai", "-q",
                 "-k", "USAGE-00", "--report-json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 0
    assert {c["id"] for c in report["checks"]} == {"USAGE-002", "USAGE-003", "USAGE-004", "USAGE-005", "USAGE-006"}


def test_without_base_url_it_certifies_the_embedded_reference_server(tmp_path, monkeypatch):
    monkeypatch.delenv("CRUN_BASE_URL", raising=False)
    code = main(["certify", "-q", "-k", "MODELS", "--report-json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 0 and report["target"]["kind"] == "reference"
    assert report["target"]["base_url"].startswith("http://127.0.0.1:")


def test_fuzz_adds_the_fuzz_requirements_and_counts_their_requests(server, tmp_path):
    code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q", "-k", "MODELS-001",
                 "--fuzz", "--fuzz-examples", "2", "--report-json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    fuzz = [c for c in report["checks"] if c["id"].startswith("FUZZ-")]
    assert {c["id"] for c in fuzz} >= {"FUZZ-001", "FUZZ-004", "FUZZ-005", "FUZZ-006"}
    assert report["cost"]["requests"] > 20
    assert KEY not in json.dumps(report)
    assert code == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("argv, says", [
    (["--base-url", f"http://127.0.0.1:{_free_port()}/api/v1", "--api-key", KEY], "unreachable"),
    (["--base-url", "ftp://example/api", "--api-key", KEY], "base URL must be an http(s) URL"),
    (["--base-url", "http://127.0.0.1:9/api/v1"], "needs --api-key"),
    (["--timeout", "0"], "--timeout must be a positive"),
    (["-k", "NOTHING_MATCHES_THIS"], "nothing matched -k"),
    (["-k", "CHAT and ("], "-k 'CHAT and ('"),
    (["--concurrency", "0"], "--concurrency must be at least 1"),
    (["--models-match", "gpt"], "add --models"),
    (["--models", "all", "--models-match", "(unclosed"], "not a regular expression"),
])
def test_bad_input_exits_2_with_one_line(argv, says, capsys, monkeypatch):
    monkeypatch.delenv("CRUN_API_KEY", raising=False)
    monkeypatch.delenv("CRUN_BASE_URL", raising=False)
    assert main(["certify", "-q", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and KEY not in err
    assert len(err.strip().splitlines()) == 1, err  # the reason alone, no test runner's summary before it


def test_a_wrong_key_is_a_usage_error_not_a_failed_certification(server, capsys):
    assert main(["certify", "-q", "--base-url", server.base_url, "--api-key", "sk-wrong-0000000000"]) == 2
    err = capsys.readouterr().err
    assert "refused the API key" in err and "sk-wrong-0000000000" not in err


@pytest.mark.parametrize("argv, says", [
    (["--timeout", "nan"], "--timeout must be a positive, finite"),
    (["--timeout", "inf"], "--timeout must be a positive, finite"),
    (["--fuzz", "--max-requests", "80"], "--max-requests cannot bound --fuzz"),
])
def test_more_bad_input_exits_2_before_any_request(argv, says, capsys):
    assert main(["certify", "-q", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_a_short_key_is_masked_everywhere_and_its_echo_is_caught(tmp_path):
    short = "sk-abc1"
    with ReferenceServer(ReferenceConfig(api_key=short, faults=frozenset({"key_in_body"}))) as srv:
        # AUTH-005 is a SHOULD: --strict makes its failure fail the certification
        code = main(["certify", "-q", "--strict", "--base-url", srv.base_url, "--api-key", short, "-k",
                     "MODELS or AUTH-005", "--report-json", str(tmp_path / "r.json"), "--report-md", str(tmp_path / "r.md")])
    text = (tmp_path / "r.json").read_text() + (tmp_path / "r.md").read_text()
    assert code == 1 and short not in text
    assert {c["outcome"] for c in json.loads((tmp_path / "r.json").read_text())["checks"] if c["id"] == "AUTH-005"} \
        >= {"failed"}

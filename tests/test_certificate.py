"""The certificate: every report says which tool, catalogue and contract judged what, when, how; the key masked."""

import dataclasses
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

from conformance import __version__
from conformance.catalogue.contract import contract_path
from conformance.catalogue.requirements import CATALOGUE
from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reports import certificate

KEY = "sk-certificate-test-0123456789abcdef"
STARTED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_catalogue_digest_is_stable_and_changes_with_any_statement_level_or_endpoint():
    digest = certificate.catalogue_digest()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest) and digest == certificate.catalogue_digest(list(CATALOGUE))
    first = CATALOGUE[0]
    for change in ({"statement": first.statement + "!"}, {"levels": {"crun": "SHOULD"}}, {"endpoints": first.endpoints[:1]}):
        assert certificate.catalogue_digest([dataclasses.replace(first, **change), *CATALOGUE[1:]]) != digest
    assert certificate.catalogue_digest(reversed(CATALOGUE)) != digest


def test_contract_digest_is_the_sha256_of_the_contract_file():
    assert certificate.contract_digest() == "sha256:" + hashlib.sha256(contract_path().read_bytes()).hexdigest()


def test_the_command_line_never_carries_the_key():
    argv = ["crun-conformance", "certify", "--api-key", KEY, "--base-url", f"http://h/v1?key={KEY}", f"--api-key={KEY}",
            "--model", "m"]
    command = certificate.masked_command(argv, secrets=(KEY,))
    assert KEY not in command
    assert command == ("crun-conformance certify --api-key '***' --base-url 'http://h/v1?key=***' '--api-key=***' "
                       "--model m")
    assert certificate.masked_command(["--api-key", "other", "x"]) == "--api-key '***' x"


def test_build_reads_the_report_and_records_time_in_utc():
    report = {"target": {"base_url": "http://h/v1", "profile": "openai", "models": ["b", "a"]}, "checks": []}
    cert = certificate.build(report, started=STARTED, finished=STARTED + timedelta(seconds=61.5),
                             command=["crun-conformance", "certify"], strict=True)
    assert cert["tool_version"] == __version__ and cert["catalogue_requirements"] == len(CATALOGUE)
    assert (cert["profile"], cert["strict"], cert["base_url"], cert["models"]) == ("openai", True, "http://h/v1", ["b", "a"])
    assert (cert["started_at"], cert["finished_at"], cert["duration_s"]) == ("2026-01-02T03:04:05Z", "2026-01-02T03:05:06Z", 61.5)
    assert cert["python"].split()[0] in ("CPython", "PyPy") and cert["os"]
    attached = certificate.attach(report, started=STARTED, command=[])
    assert list(attached)[0] == "certificate" and attached["target"] == report["target"]


def test_markdown_block_says_verdict_failures_cost_and_date_first():
    checks = [{"id": "CHAT-001", "level": "MUST", "outcome": "failed", "model": "a"},
              {"id": "CHAT-001", "level": "MUST", "outcome": "failed", "model": "a"},
              {"id": "ERR-002", "level": "SHOULD", "outcome": "error"},
              {"id": "CAP-001", "level": "MAY", "outcome": "failed"},
              {"id": "AUTH-001", "level": "MUST", "outcome": "passed"}]
    report = {"target": {"base_url": "http://h/v1", "profile": "crun"}, "cost": {"requests": 3, "input_tokens": 20,
              "output_tokens": 10}, "checks": checks,
              "not_judged": [{"id": "RESP-005", "level": "MUST", "model": "a", "reason": "output_tokens 3 < 16"},
                             {"id": "CAP-009", "level": "MAY", "model": "a", "reason": "no usage"}]}
    report = certificate.attach(report, started=STARTED, finished=STARTED + timedelta(seconds=2), command=["x"])
    block = certificate.markdown_block(report)
    assert block[:7] == ["> **Verdict: FAILED** (profile `crun`)", ">", "> - MUST failures: 1: CHAT-001 (a)",
                         "> - SHOULD failures: 1: ERR-002",
                         "> - MUST checks not judged (no evidence in the answer): 1: RESP-005 (a)",
                         "> - Cost: 3 requests, 20 input and 10 output tokens",
                         "> - Date: 2026-01-02T03:04:07Z (2.0 s)"]
    passing = certificate.markdown_block({**report, "checks": checks[2:]})
    assert passing[0] == "> **Verdict: CERTIFIED** (profile `crun`)"
    assert "sha256:" in "\n".join(block) and "| command | `x` |" in block


def test_every_report_of_certify_carries_the_certificate_and_opens_with_the_verdict(tmp_path):
    with ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset({"chat_no_done"}))) as server:
        before = datetime.now(UTC).replace(microsecond=0)
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "--model", "gpt-5.4",
                     "--messages-model", "claude-sonnet-4-5", "-q", "-k", "CHAT-STREAM-003 or MODELS-001",
                     "--report-json", str(tmp_path / "r.json"), "--report-md", str(tmp_path / "r.md")])
    assert code == 1
    report = json.loads((tmp_path / "r.json").read_text())
    cert = report["certificate"]
    assert cert["catalogue_digest"] == certificate.catalogue_digest()
    assert cert["contract_digest"] == certificate.contract_digest()
    assert cert["base_url"] == server.base_url and cert["profile"] == "crun" and cert["strict"] is False
    assert set(cert["models"]) == {"gpt-5.4", "claude-sonnet-4-5"}
    assert before <= datetime.fromisoformat(cert["started_at"]) <= datetime.fromisoformat(cert["finished_at"])
    assert cert["command"].startswith("crun-conformance certify --base-url") and "--api-key '***'" in cert["command"]
    markdown = (tmp_path / "r.md").read_text()
    lines = markdown.splitlines()
    assert lines[2] == "> **Verdict: FAILED** (profile `crun`)" and lines[4] == "> - MUST failures: 1: CHAT-STREAM-003 (gpt-5.4)"
    assert markdown.index("Verdict") < markdown.index("| requirement |")
    assert KEY not in json.dumps(report) and KEY not in markdown

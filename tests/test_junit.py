"""JUnit XML stays well-formed whatever a server sent: CI systems reject a file they cannot parse."""

import xml.etree.ElementTree as ET

from conformance.outcomes.outcome import Outcome
from conformance.reports.junit import render


def test_control_bytes_from_a_server_do_not_break_the_xml():
    garbage = "\x00\xff\x1b[2J{not json"
    outcomes = [Outcome("CHAT-001", "MUST", "POST /chat/completions", "statement", "chat_basic", "failed",
                        expected="a JSON object", actual=garbage, exchange=garbage, violations=[garbage, "two"]),
                Outcome("SDK-001", "MUST", "POST /chat/completions", "statement", "sdk", "error", actual=garbage),
                Outcome("CAP-001", "MAY", "POST /chat/completions", "statement", "cap", "skipped", actual=garbage)]
    root = ET.fromstring(render(outcomes))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("3", "1", "1", "1")
    assert "\ufffd" in suite.find("testcase/failure").text


def test_the_suite_time_is_the_wall_time_and_the_verdict_is_a_property():
    outcomes = [Outcome("CHAT-001", "MUST", "POST /chat/completions", "s", "chat_basic", "passed", duration_s=2.0),
                Outcome("CHAT-002", "MUST", "POST /chat/completions", "s", "chat_basic", "passed", duration_s=2.0)]
    suite = ET.fromstring(render(outcomes, wall_s=2.5, verdict="CERTIFIED")).find("testsuite")
    assert suite.get("time") == "2.500"  # the checks ran side by side: not their sum, 4.0
    assert suite.get("name") == "crun-conformance"
    assert suite.find("properties/property").attrib == {"name": "verdict", "value": "CERTIFIED"}
    partial = ET.fromstring(render(outcomes, wall_s=2.5, verdict="PARTIAL: 2 of 105 requirements checked"))
    assert partial.find("testsuite").get("name") == "crun-conformance (PARTIAL: 2 of 105 requirements checked)"


def test_certify_writes_the_runs_wall_time_and_its_partial_verdict(tmp_path):
    import json

    from conformance.cli import main

    main(["certify", "-q", "-k", "MODELS", "--junit-xml", str(tmp_path / "j.xml"), "--report-json",
          str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert float(suite.get("time")) == report["certificate"]["duration_s"]
    assert suite.get("name").startswith("crun-conformance (PARTIAL: ") and report["verdict"] == "partial"

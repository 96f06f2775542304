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

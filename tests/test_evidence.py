"""Issue 22: verdicts rest on what the server controls. Unit checks of the evidence rule, and "not judged" as a mark of
its own in every view of a report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conformance.cli import main
from conformance.outcomes.outcome import Outcome, not_judged
from conformance.outcomes.verdict import NOT_JUDGED
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reports import junit, matrix, terminal
from conformance.reports.document import markdown
from conformance.suite import chat, evidence
from conformance.suite import responses as resp
from conformance.suite.case import Failed, NotJudged
from conformance.wire.exchange import Exchange, Request

KEY = "sk-evidence-test-0123456789abcdef"


def answer(body: dict) -> Exchange:
    return Exchange(Request("POST", "/responses", {}), 200, {"content-type": "application/json"},
                    json.dumps(body).encode())


def test_a_cut_answer_rule_is_judged_only_when_the_usage_shows_the_limit_reached():
    with pytest.raises(NotJudged, match="below the limit of 16"):
        evidence.reached_limit(3, 16, "output_tokens", 'status "incomplete"')
    with pytest.raises(NotJudged, match="no output_tokens reported"):
        evidence.reached_limit(None, 16, "output_tokens", 'status "incomplete"')
    evidence.reached_limit(16, 16, "output_tokens", 'status "incomplete"')  # reached: the rule is judged


def test_context_is_judged_by_input_tokens_with_and_without_it():
    without = {"usage": {"input_tokens": 20}}
    evidence.carried(without, {"usage": {"input_tokens": 31}}, "input_tokens", "history", 20)
    with pytest.raises(Failed, match="did not reach the model"):
        evidence.carried(without, {"usage": {"input_tokens": 20}}, "input_tokens", "history", 20)  # dropped
    with pytest.raises(Failed):
        evidence.carried(without, {"usage": {"input_tokens": 24}}, "input_tokens", "history", 20)  # kept in part
    with pytest.raises(NotJudged, match="no usage.input_tokens"):
        evidence.carried({}, {}, "input_tokens", "history", 20)
    evidence.carried(without, {"usage": {"input_tokens": 21}}, "input_tokens", "image")  # a part: more at all


def test_a_stream_cap_without_a_stream_is_not_judged_here():
    with pytest.raises(NotJudged, match="no event stream"):
        chat.stream_max_tokens_caps.fn(answer({"usage": {"completion_tokens": 99}}), None)
    with pytest.raises(NotJudged):
        resp.stream_max_output_tokens_respected.fn(answer({}), None)


def test_the_stop_line_and_the_passage_reach_past_every_limit():
    assert evidence.STOP in evidence.REPEAT_STOP_LINE and evidence.ends_before_stop("say: 1 2 3 4 5 6 ")
    assert evidence.words(evidence.PASSAGE) > 2 * resp.LIMIT  # twice the largest limit: a doubled limit shows


def test_not_judged_has_its_own_mark_in_every_view(tmp_path):
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q", "--model", "crun-terse",
                     "--messages-model", "crun-terse", "-k", "RESP-005 or MSG-011", "--report-json",
                     str(tmp_path / "r.json"), "--report-md", str(tmp_path / "r.md"), "--junit-xml",
                     str(tmp_path / "j.xml"), "--report-html", str(tmp_path / "r.html")])
    assert code == 0  # a terse model is no reason to fail a server
    report = json.loads((tmp_path / "r.json").read_text())
    assert {n["id"] for n in report["not_judged"]} == {"RESP-005", "MSG-011"}
    assert all(c["skip_kind"] == NOT_JUDGED for c in report["checks"] if c["outcome"] == "skipped")
    view = matrix.build([report])
    assert {c.mark for c in view.cells} == {"not judged"}
    text = terminal.render(view)
    assert "N/J" in text and "MUST checks not judged" in text
    md = (tmp_path / "r.md").read_text()
    assert "not judged (no evidence in the answer): 2: RESP-005 (crun-terse), MSG-011 (crun-terse)" in md and "| N/J |" in md
    assert 'class="cell m-not-judged"' in (tmp_path / "r.html").read_text()
    skipped = ET.parse(tmp_path / "j.xml").getroot().findall(".//skipped")
    assert skipped and all(s.get("type") == NOT_JUDGED and s.get("message").startswith("not judged: ") for s in skipped)
    assert markdown(report).count("not judged") >= 3


def test_the_outcome_carries_its_kind_and_reason():
    o = Outcome("RESP-005", "MUST", "POST /responses", "s", "case", "passed")
    o.skip(NOT_JUDGED, "output_tokens 1 below the limit of 16")
    assert o.not_judged and o.actual == "not judged: output_tokens 1 below the limit of 16"
    assert not_judged([o]) == [{"id": "RESP-005", "level": "MUST", "endpoint": "POST /responses", "model": None,
                                "case": "case", "reason": "output_tokens 1 below the limit of 16"}]
    assert b'type="not judged"' in junit.render([o])

"""Cassettes: recorded once, replayed offline byte for byte, never holding a key."""

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.suite.cases import CASES
from conformance.wire.cassettes import REPLAY_HOST, Library, recorded_models, replay_target
from conformance.wire.exchange import SECRET_HEADERS, Request
from conformance.wire.target import WRONG_KEY, Caller, Target

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "cassettes"
KEY = "sk-recording-key-5f3a9c0e1d2b4a68"
KEY_PATTERNS = [re.compile(p) for p in (r"Bearer\s+(?!REDACTED)[A-Za-z0-9_\-\.]{6,}", r"sk-[A-Za-z0-9_\-]{8,}",
                                         r"crun-ref-[0-9a-f]{8,}", r"crun-reference-key")]


def _interactions(directory: Path):
    for path in sorted(directory.glob("*.yaml")):
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            yield path.name, interaction


def test_committed_cassettes_cover_every_case_and_say_what_they_recorded():
    manifest = json.loads((COMMITTED / "target.json").read_text())
    assert manifest["base_path"] == "/api/v1" and manifest["model"]
    recorded = {path.stem for path in COMMITTED.glob("*.yaml")}
    sent = {case.id for case in CASES}  # the SDK cases too: vcrpy records and replays their httpx2 requests
    assert sorted(sent - recorded) == [], "cases without a cassette: re-record"
    assert sorted(recorded - sent) == [], "cassettes of cases that no longer exist"


def test_committed_cassettes_hold_no_secret():
    for path in sorted(COMMITTED.glob("*")):
        text = path.read_text()
        for pattern in KEY_PATTERNS:
            assert not pattern.search(text), f"{path.name}: {pattern.pattern}"
    for name, interaction in _interactions(COMMITTED):
        for part in ("request", "response"):
            for header, values in (interaction[part].get("headers") or {}).items():
                if header.lower() in SECRET_HEADERS:
                    assert values == ["REDACTED"], f"{name}: {part} header {header}"
        assert interaction["request"]["uri"].startswith(REPLAY_HOST), name


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as srv:
        yield srv


@pytest.fixture(scope="module")
def recorded(server, tmp_path_factory):
    directory = tmp_path_factory.mktemp("cassettes")
    code = main(["certify", "-q", "--base-url", server.base_url, "--api-key", KEY, "--record", str(directory)])
    assert code == 0
    return directory


def test_recording_leaves_neither_the_key_nor_the_wrong_key_behind(recorded):
    for path in recorded.glob("*"):
        text = path.read_text()
        assert KEY not in text and WRONG_KEY not in text, path.name


def test_replay_judges_the_recording_as_the_live_run_did(recorded, tmp_path):
    code = main(["certify", "-q", "--replay", str(recorded), "--report-json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 0
    assert report["summary"]["failed"] == report["summary"]["error"] == 0
    assert report["summary"]["skipped"] == 0  # the SDK checks too: their httpx2 requests replay from the cassettes
    assert {c["outcome"] for c in report["checks"] if c["id"].startswith("SDK-")} == {"passed"}
    assert {c["id"]: c["outcome"] for c in report["checks"]}["CAP-009"] == "passed"  # the stateful flow


def test_stream_bodies_replay_byte_exact_from_another_address(server, tmp_path):
    request = Request("POST", "/chat/completions", {"model": "gpt-5.4", "stream": True, "max_tokens": 50,
                                                    "messages": [{"role": "user", "content": "count to 40"}]})
    live_caller = Caller(Target(server.base_url, KEY))
    try:
        with Library(tmp_path, "all", secrets=(KEY,)).cassette("stream"):
            live = live_caller.call(request)
    finally:
        live_caller.close()
    replay_caller = Caller(Target(REPLAY_HOST + "/api/v1", "other-key", kind="replay"))
    try:
        with Library(tmp_path, "none").cassette("stream"):
            replayed = replay_caller.call(Request(**{**request.__dict__, "auth": "x-api-key"}))
    finally:
        replay_caller.close()
    assert live.body == replayed.body and len(live.events) > 40
    assert [e.raw for e in live.events] == [e.raw for e in replayed.events]


def test_a_request_the_cassette_does_not_hold_says_which_case_and_how_to_rerecord(recorded, tmp_path):
    copy = tmp_path / "cassettes"
    shutil.copytree(recorded, copy)
    (copy / "chat_basic.yaml").unlink()
    code = main(["certify", "-q", "--replay", str(copy), "-k", "chat_basic", "--report-json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 1
    errors = [c for c in report["checks"] if c["outcome"] == "error"]
    assert errors and all("case chat_basic" in c["actual"] and "--record-mode=rewrite" in c["actual"] for c in errors)


def test_record_changed_writes_only_the_cassettes_whose_requests_changed(server, recorded, tmp_path):
    """After a change to the suite, only the cases whose requests changed (or that have no cassette) are rewritten."""
    copy = tmp_path / "cassettes"
    shutil.copytree(recorded, copy)
    (copy / "chat_basic.yaml").unlink()
    tampered = copy / "chat_n_2.yaml"
    tampered.write_text(tampered.read_text().replace('"max_tokens":8', '"max_tokens":9'))
    before = {path.name: path.read_bytes() for path in copy.glob("*.yaml")}
    code = main(["certify", "-q", "--base-url", server.base_url, "--api-key", KEY, "--record-changed", str(copy)])
    assert code == 0
    after = {path.name: path.read_bytes() for path in copy.glob("*.yaml")}
    rewritten = {name for name in after if before.get(name) != after[name]}
    # The stored-response follow-up and the function call's round trip always change: their second request carries
    # the ids the first answer returned.
    assert rewritten == {"chat_basic.yaml", "chat_n_2.yaml", "cap_stored_follow_up.yaml",
                         "responses_stream_function_call.yaml"}
    assert '"max_tokens":8' in tampered.read_text() and '"max_tokens":9' not in tampered.read_text()
    assert main(["certify", "-q", "--replay", str(copy)]) == 0


def test_replay_target_reads_the_manifest(recorded):
    target = replay_target(recorded)
    assert target.kind == "replay" and target.base_url == REPLAY_HOST + "/api/v1"
    assert recorded_models(recorded)["model"] == "gpt-5.4"


def test_a_recording_of_a_broken_server_replays_to_the_same_failure(tmp_path):
    """Recorded from a server without automatic stream usage (CRUN's USAGE-001), replay fails USAGE-001 too."""
    directory = tmp_path / "broken"
    verdicts = {}
    with ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset({"usage_only_when_asked"}))) as broken:
        for mode, argv in (("live", ["--base-url", broken.base_url, "--api-key", KEY, "--record", str(directory)]),
                           ("replay", ["--replay", str(directory)])):
            report = tmp_path / f"{mode}.json"
            code = main(["certify", "-q", "-k", "USAGE", *argv, "--report-json", str(report)])
            failed = {c["id"] for c in json.loads(report.read_text())["checks"] if c["outcome"] == "failed"}
            verdicts[mode] = (code, failed)
    assert verdicts["live"] == verdicts["replay"] == (1, {"USAGE-001"})

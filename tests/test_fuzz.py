"""Fuzzing: the reference server passes, and each kind of broken server fails the requirement it breaks.

Broken servers are the reference server with one named fault switched on
(`ReferenceConfig.faults`), or, for the two behaviours no fault provides (a
server that accepts any X-API-KEY, one that hangs), the reference app behind
a small ASGI wrapper: a switch around the reference, never a copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from typing import Any, Callable, Iterator

import pytest
import uvicorn
from schemathesis import GenerationMode

from conformance import fuzz
from conformance.contract import validate
from conformance.exchange import mask
from conformance.fuzz import runner
from conformance.reference import ReferenceConfig, create_app
from conformance.requirements import ALL, CHAT, COMPLETIONS, MESSAGES, MODELS, RESPONSES
from conformance.target import Target

KEY = "sk-fuzz-test-0123456789abcdef"
MODEL, MESSAGES_MODEL = "gpt-5.4", "claude-sonnet-4-5"
REQUEST_SCHEMAS = {"/chat/completions": "ChatCompletionRequest", "/completions": "CompletionRequest",
                   "/responses": "ResponseRequest", "/messages": "MessageRequest"}

ASGIApp = Callable[..., Any]


@contextlib.contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """The app on 127.0.0.1 on an ephemeral port, in a thread; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", access_log=False,
                                           lifespan="off", ws="none", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def reference_app(*faults: str) -> ASGIApp:
    return create_app(ReferenceConfig(api_key=KEY, faults=frozenset(faults)))


def counting(app: ASGIApp, seen: list[str]) -> ASGIApp:
    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            seen.append(f"{scope['method']} {scope['path']}")
        await app(scope, receive, send)

    return wrapped


def accepting_any_x_api_key(app: ASGIApp) -> ASGIApp:
    """A request that sends some X-API-KEY reaches the app as if it carried the right key; bearer stays checked."""

    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and any(name == b"x-api-key" for name, _ in scope["headers"]):
            headers = [(k, v) for k, v in scope["headers"] if k not in (b"x-api-key", b"authorization")]
            scope = dict(scope, headers=headers + [(b"authorization", f"Bearer {KEY}".encode())])
        await app(scope, receive, send)

    return wrapped


def hanging(app: ASGIApp, seconds: float) -> ASGIApp:
    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return wrapped


def fuzz_against(app: ASGIApp, operation: str, examples: int, coverage: bool) -> dict[str, Any]:
    """The outcomes of fuzzing one operation of the app, by requirement ID."""
    with serving(app) as base_url:
        target = Target(base_url, KEY, kind="reference", model=MODEL, messages_model=MESSAGES_MODEL)
        outcomes, _ = fuzz.run_fuzz(target, examples, coverage=coverage, operations={operation})
    return {o.id: o for o in outcomes}


# ---------------------------------------------------------------- the reference server passes

@pytest.fixture(scope="module")
def reference_run() -> tuple[dict, int, list[str]]:
    seen: list[str] = []
    with serving(counting(reference_app(), seen)) as base_url:
        target = Target(base_url, KEY, kind="reference", model=MODEL, messages_model=MESSAGES_MODEL)
        outcomes, sent = fuzz.run_fuzz(target)
    return {(o.id, o.endpoint): o for o in outcomes}, sent, seen


def test_reference_server_passes_every_fuzz_requirement(reference_run):
    results, _, _ = reference_run
    assert set(results) == {(r.id, endpoint) for r in fuzz.FUZZ_REQUIREMENTS for endpoint in ALL}
    bad = {key: f"{o.outcome}: {o.actual}\n{o.exchange}" for key, o in results.items() if o.outcome != "passed"}
    assert bad == {}


def test_every_request_sent_is_counted(reference_run):
    _, sent, seen = reference_run
    assert sent == len(seen)
    assert sent > 1000  # the coverage phase runs against the reference server


def test_streams_were_judged_on_every_streaming_operation(reference_run):
    results, _, _ = reference_run
    for endpoint in (CHAT, RESPONSES, MESSAGES):
        streams = int(re.search(r"(\d+) streams judged", results[("FUZZ-004", endpoint)].case).group(1))
        assert streams >= 10, endpoint


# ---------------------------------------------------------------- each broken server fails its requirement

BROKEN = [
    # fault, operation, examples, coverage phase, the requirement it must fail, the check that says so
    ("unknown_field_500", CHAT, 10, False, "FUZZ-001", "not_a_server_error"),
    ("malformed_json_500", COMPLETIONS, 6, False, "FUZZ-001", "not_a_server_error"),
    ("temperature_unchecked", COMPLETIONS, 5, True, "FUZZ-005", "negative_data_rejection"),
    ("models_no_list_object", MODELS, 3, False, "FUZZ-004", "response_schema_conformance"),
    ("chat_body_off_schema", CHAT, 6, False, "FUZZ-004", "response_schema_conformance"),
    ("chat_chunk_object_wrong", CHAT, 6, False, "FUZZ-004", "response_schema_conformance"),
    ("responses_event_off_schema", RESPONSES, 6, False, "FUZZ-004", "response_schema_conformance"),
    ("messages_event_off_schema", MESSAGES, 6, False, "FUZZ-004", "response_schema_conformance"),
    ("messages_openai_errors", MESSAGES, 6, False, "FUZZ-004", "response_schema_conformance"),
    ("no_auth", COMPLETIONS, 3, False, "FUZZ-006", "ignored_auth"),
    ("wrong_key_accepted", COMPLETIONS, 3, False, "FUZZ-006", "ignored_auth"),
]


@pytest.mark.parametrize("fault, operation, examples, coverage, requirement, check", BROKEN,
                         ids=[row[0] for row in BROKEN])
def test_a_broken_server_fails_the_requirement_it_breaks(fault, operation, examples, coverage, requirement, check):
    outcome = fuzz_against(reference_app(fault), operation, examples, coverage)[requirement]
    assert outcome.outcome == "failed", outcome.actual
    assert f"`{check}`" in outcome.actual
    assert outcome.exchange.startswith("curl -X ") and "\n\nHTTP " in outcome.exchange
    assert KEY not in outcome.exchange + outcome.actual


def test_the_evidence_names_what_broke():
    assert "HTTP 500" in fuzz_against(reference_app("unknown_field_500"), CHAT, 10, False)["FUZZ-001"].exchange
    outcome = fuzz_against(reference_app("temperature_unchecked"), COMPLETIONS, 5, True)["FUZZ-005"]
    assert "temperature" in outcome.actual and '"temperature": 3' in outcome.exchange and "HTTP 200" in outcome.exchange
    outcome = fuzz_against(reference_app("chat_chunk_object_wrong"), CHAT, 6, False)["FUZZ-004"]
    assert "SSE event violates schema" in outcome.actual and "text/event-stream" in outcome.exchange


def test_both_schemes_are_probed_with_a_wrong_key():
    outcome = fuzz_against(accepting_any_x_api_key(reference_app()), COMPLETIONS, 3, False)["FUZZ-006"]
    assert outcome.outcome == "failed" and "invalid credentials" in outcome.actual
    assert "X-API-KEY: ***" in outcome.exchange and "HTTP 200" in outcome.exchange


def test_a_server_that_hangs_fails_fuzz_001_within_the_deadline():
    started = time.monotonic()
    with serving(hanging(reference_app(), 3)) as base_url:
        target = Target(base_url, KEY, kind="live", model=MODEL, messages_model=MESSAGES_MODEL, timeout_s=0.3)
        outcomes, sent = fuzz.run_fuzz(target, 2, operations={COMPLETIONS})
    results = {o.id: o for o in outcomes}
    assert results["FUZZ-001"].outcome == "failed" and "no answer: ReadTimeout" in results["FUZZ-001"].actual
    assert time.monotonic() - started < sent * 0.3 + 5


# ---------------------------------------------------------------- cost, determinism, masking

def test_a_live_run_is_small_and_counted():
    seen: list[str] = []
    with serving(counting(reference_app(), seen)) as base_url:
        outcomes, sent = fuzz.run_fuzz(Target(base_url, KEY, kind="live"))
    assert fuzz.default_examples(Target(base_url, KEY, kind="live")) == fuzz.LIVE_EXAMPLES
    assert sent == len(seen) <= 1 + 5 * 2 * fuzz.LIVE_EXAMPLES + 5 * 3  # discovery, cases, one auth probe set per path
    assert {o.outcome for o in outcomes if o.id == "FUZZ-007"} == {"skipped"}  # no coverage phase live


def test_same_seed_same_requests_other_seed_other_requests():
    target = Target("http://127.0.0.1:9/api/v1", KEY, kind="live", model=MODEL, messages_model=MESSAGES_MODEL)

    def bodies(seed: int) -> list[str]:
        run = runner._Run(target, 5, seed, True, MODEL, MESSAGES_MODEL)
        operation = run.schema["/completions"]["POST"]
        return [f"{case.method} {case.body if isinstance(case.body, (dict, list, str, bytes)) else '-'!r}"
                for case in run.cases(operation, runner._Tally())]

    assert bodies(1) == bodies(1)
    assert bodies(1) != bodies(2)


def test_shaping_keeps_invalid_cases_invalid_and_valid_cases_valid():
    run = runner._Run(Target("http://127.0.0.1:9/api/v1", KEY, kind="live"), 10, 0, False, MODEL, MESSAGES_MODEL)
    for path, name in REQUEST_SCHEMAS.items():
        operation = run.schema[path]["POST"]
        for mode in GenerationMode:
            for index, case in enumerate(run.generate(operation, mode)):
                if not isinstance(case.body, dict):
                    continue
                before = dict(case.body)
                runner.shape(case, MODEL, MESSAGES_MODEL, stream=index % 2 == 0)
                assert bool(validate(name, case.body)) is (mode is GenerationMode.NEGATIVE), (path, case.body)
                for limit in runner.TOKEN_LIMITS[operation.label]:
                    value = case.body.get(limit)
                    assert not runner._is_integral(value) or value <= runner.OUTPUT_TOKEN_CAP or value == before[limit]


def test_curl_masks_the_key_but_not_token_counts():
    target = Target("http://127.0.0.1:9/api/v1", KEY, kind="live")
    schema = runner.load_schema(target, 1)
    case = schema["/chat/completions"]["POST"].Case(
        body={"model": MODEL, "messages": [{"role": "user", "content": KEY}], "max_tokens": 5,
              "metadata": {"prompt_tokens": "9"}},
        headers={"Authorization": f"Bearer {KEY}", "X-API-KEY": KEY})
    curl = mask(case.as_curl_command(), KEY)
    assert KEY not in curl
    assert '"max_tokens": 5' in curl and '"prompt_tokens": "9"' in curl
    assert "Authorization: ***" in curl and "X-API-KEY: ***" in curl


# ---------------------------------------------------------------- schemathesis's pytest integration

@pytest.fixture(scope="module")
def reference_target() -> Iterator[Target]:
    with serving(reference_app()) as base_url:
        yield Target(base_url, KEY, kind="reference", model=MODEL, messages_model=MESSAGES_MODEL)


# Loaded at import, aimed at a placeholder: each call names the fixture's server. (schemathesis.pytest.from_fixture
# would be the natural fit, but under pytest 9 it fails with "'Function' object has no attribute '_nodeid'".)
schema = runner.load_schema(Target("http://127.0.0.1:9/api/v1", KEY, kind="reference"), fuzz.REFERENCE_EXAMPLES,
                          coverage=False)
ALL_CHECKS = [check for checks in runner.CHECKS.values() for check in checks]


@schema.parametrize()
def test_schemathesis_finds_nothing_on_the_reference_server(case, reference_target):
    runner.shape(case, MODEL, MESSAGES_MODEL, stream=True)
    case.call_and_validate(base_url=reference_target.base_url, checks=ALL_CHECKS)

"""Fuzzing: the reference server passes, and each kind of broken server fails the requirement it breaks.

Broken servers are the reference server with one named fault switched on
(`ReferenceConfig.faults`), or, for behaviours no fault provides (a server
that accepts any X-API-KEY, one that hangs, one that crashes in several ways,
one that reports no usage), the reference app behind a small ASGI wrapper
(`ReferenceServer(..., wrap=...)`): a switch around the reference, never a copy.
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import json
import re
import time
import tomllib
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from conformance import fuzz
from conformance.catalogue.contract import validate
from conformance.catalogue.requirements import ALL, CHAT, COMPLETIONS, MESSAGES, MODELS, RESPONSES
from conformance.fuzz import config, findings, runner, schemathesis_api, shaping
from conformance.fuzz.schemathesis_api import GenerationMode
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.wire.cost import Cost, reported_usage
from conformance.wire.exchange import mask
from conformance.wire.sse import parse
from conformance.wire.target import Target

KEY = "sk-fuzz-test-0123456789abcdef"
MODEL, MESSAGES_MODEL = "gpt-5.4", "claude-sonnet-4-5"
REQUEST_SCHEMAS = {"/chat/completions": "ChatCompletionRequest", "/completions": "CompletionRequest",
                   "/responses": "ResponseRequest", "/messages": "MessageRequest"}
ROOT = Path(__file__).resolve().parent.parent

ASGIApp = Callable[..., Any]
Wrapper = Callable[[ASGIApp], ASGIApp]


def reference(*faults: str, wrap: Wrapper | None = None) -> ReferenceServer:
    return ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset(faults)), wrap=wrap)


def counting(seen: list[str]) -> Wrapper:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
            if scope["type"] == "http":
                seen.append(f"{scope['method']} {scope['path']}")
            await app(scope, receive, send)

        return wrapped

    return wrap


def accepting_any_x_api_key(app: ASGIApp) -> ASGIApp:
    """A request that sends some X-API-KEY reaches the app as if it carried the right key; bearer stays checked."""

    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and any(name == b"x-api-key" for name, _ in scope["headers"]):
            headers = [(k, v) for k, v in scope["headers"] if k not in (b"x-api-key", b"authorization")]
            scope = dict(scope, headers=headers + [(b"authorization", f"Bearer {KEY}".encode())])
        await app(scope, receive, send)

    return wrapped


def hanging(seconds: float) -> Wrapper:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
            if scope["type"] == "http" and scope["method"] == "POST":
                await asyncio.sleep(seconds)
            await app(scope, receive, send)

        return wrapped

    return wrap


async def _read_body(receive: Callable) -> tuple[bytes, Callable]:
    """The whole request body, and a `receive` that replays it to the app."""
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


async def _answer(send: Callable, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def crashing_streams(app: ASGIApp) -> ASGIApp:
    """A request asking for a stream gets a 500 of its own, unlike the reference's; the rest reaches the app."""
    workers = itertools.count(1)

    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await app(scope, receive, send)
        body, receive = await _read_body(receive)
        try:
            streams = json.loads(body).get("stream") is True
        except (ValueError, AttributeError):
            streams = False
        if streams:  # the worker number varies: one message all the same, one class
            return await _answer(send, 500, {"error": {"message": f"stream worker {next(workers)} died",
                                                       "type": "server_error"}})
        await app(scope, receive, send)

    return wrapped


def crashing_in_stages(stages: int) -> Wrapper:
    """Every POST answered 500, each with the next of `stages` different messages."""
    names = ["parse", "route", "quota", "render", "encode", "flush", "audit", "bill"][:stages]
    turn = itertools.cycle(names)

    def wrap(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
            if scope["type"] != "http" or scope["method"] != "POST":
                return await app(scope, receive, send)
            await _answer(send, 500, {"error": {"message": f"crashed in the {next(turn)} stage"}})

        return wrapped

    return wrap


def opted_out_of_usage(body: bytes) -> bool:
    """Whether a request body says `stream_options.include_usage: false`: its answer rightly carries no usage."""
    try:
        sent = json.loads(body)
    except ValueError:
        return False
    options = sent.get("stream_options") if isinstance(sent, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is False


def stripping_usage(stripped: list[int]) -> Wrapper:
    """Answers without `usage`, in JSON bodies and stream events alike; each 2xx answer stripped is counted, but for
    a request that opted out of usage (generated data may carry `include_usage: false`; which cases hypothesis
    draws can change with its example database)."""

    def strip(data: bytes) -> bytes:
        try:
            value = json.loads(data)
        except ValueError:
            return data
        if isinstance(value, dict):
            for holder in (value, value.get("response"), value.get("message")):
                if isinstance(holder, dict):
                    holder.pop("usage", None)
        return json.dumps(value).encode()

    def strip_event_line(line: bytes) -> bytes:
        content = line.rstrip(b"\r\n")
        if not content.startswith(b"data: "):
            return line
        return b"data: " + strip(content[6:]) + line[len(content):]

    def wrap(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
            if scope["type"] != "http":
                return await app(scope, receive, send)
            start: dict = {}
            chunks: list[bytes] = []
            sent: list[bytes] = []

            async def reading() -> dict:
                message = await receive()
                sent.append(message.get("body", b""))
                return message

            async def buffer(message: dict) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                headers = dict(start.get("headers", []))
                body = b"".join(chunks)
                if headers.get(b"content-type", b"").startswith(b"text/event-stream"):
                    body = b"".join(strip_event_line(line) for line in body.splitlines(keepends=True))
                else:
                    body = strip(body)
                if 200 <= start["status"] < 300 and not opted_out_of_usage(b"".join(sent)):
                    stripped.append(1)
                headers[b"content-length"] = str(len(body)).encode()
                await send(dict(start, headers=list(headers.items())))
                await send({"type": "http.response.body", "body": body})

            await app(scope, reading, buffer)

        return wrapped

    return wrap


def fuzz_against(server: ReferenceServer, operation: str, examples: int, coverage: bool) -> dict[str, Any]:
    """The outcomes of fuzzing one operation of the server, by requirement ID."""
    with server:
        target = Target(server.base_url, KEY, kind="reference")
        result = fuzz.run_fuzz(target, examples, coverage=coverage, operations={operation}, model=MODEL,
                               messages_model=MESSAGES_MODEL)
    return {o.id: o for o in result.outcomes}


# ---------------------------------------------------------------- the reference server passes

@pytest.fixture(scope="module")
def reference_run() -> tuple[dict, fuzz.FuzzResult, list[str]]:
    seen: list[str] = []
    with reference(wrap=counting(seen)) as server:
        target = Target(server.base_url, KEY, kind="reference")
        result = fuzz.run_fuzz(target, model=MODEL, messages_model=MESSAGES_MODEL)
    return {(o.id, o.endpoint): o for o in result.outcomes}, result, seen


def test_reference_server_passes_every_fuzz_requirement(reference_run):
    results, _, _ = reference_run
    assert set(results) == {(r.id, endpoint) for r in fuzz.FUZZ_REQUIREMENTS for endpoint in ALL}
    bad = {key: f"{o.outcome}: {o.actual}\n{o.exchange}" for key, o in results.items() if o.outcome != "passed"}
    assert bad == {}
    assert all(o.violations == [] and o.violations_more == 0 for o in results.values())


def test_every_request_sent_is_counted(reference_run):
    _, result, seen = reference_run
    assert result.requests == len(seen)
    assert result.requests > 1000  # the coverage phase runs against the reference server


def test_the_tokens_of_fuzzed_answers_are_counted(reference_run):
    _, result, _ = reference_run
    assert result.input_tokens > 0 and result.output_tokens > 0
    assert result.output_tokens < result.requests * shaping.OUTPUT_TOKEN_CAP * 8  # capped outputs, a few choices at most
    # The reference reports usage on every answer unless a stream turns it off (include_usage: false), and an
    # answer that was asked to carry none is no unknown usage.
    assert result.responses_without_usage == 0


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
    outcome = fuzz_against(reference(fault), operation, examples, coverage)[requirement]
    assert outcome.outcome == "failed", outcome.actual
    assert f"`{check}`" in outcome.actual
    assert outcome.exchange.startswith("curl -X ") and "\n\nHTTP " in outcome.exchange
    assert 1 <= len(outcome.violations) <= findings.MAX_CLASSES
    assert all(f"`{check}`" in violation and "\ncurl -X " in violation for violation in outcome.violations)
    assert KEY not in outcome.exchange + outcome.actual + "".join(outcome.violations)


def test_the_evidence_names_what_broke():
    assert "HTTP 500" in fuzz_against(reference("unknown_field_500"), CHAT, 10, False)["FUZZ-001"].exchange
    outcome = fuzz_against(reference("temperature_unchecked"), COMPLETIONS, 5, True)["FUZZ-005"]
    assert "temperature" in outcome.actual and '"temperature": 3' in outcome.exchange and "HTTP 200" in outcome.exchange
    assert outcome.violations and all("Invalid component: in body - temperature" in v for v in outcome.violations)
    outcome = fuzz_against(reference("chat_chunk_object_wrong"), CHAT, 6, False)["FUZZ-004"]
    assert "SSE event violates schema" in outcome.actual and "text/event-stream" in outcome.exchange
    # the schema path stays in the description, schemathesis's schema and value dumps do not
    assert "schema at /components/schemas/" in outcome.actual and "Value:" not in outcome.actual


def test_both_schemes_are_probed_with_a_wrong_key():
    outcome = fuzz_against(reference(wrap=accepting_any_x_api_key), COMPLETIONS, 3, False)["FUZZ-006"]
    assert outcome.outcome == "failed" and "invalid credentials" in outcome.actual
    assert "X-API-KEY: ***" in outcome.exchange and "HTTP 200" in outcome.exchange
    assert all("X-API-KEY: ***" in violation for violation in outcome.violations)


def test_a_server_that_hangs_fails_fuzz_001_within_the_deadline():
    hang_s, deadline_s = 30.0, 0.3  # a request that ignored its deadline would wait out the hang
    started = time.monotonic()
    with reference(wrap=hanging(hang_s)) as server:
        target = Target(server.base_url, KEY, kind="live", timeout_s=deadline_s)
        result = fuzz.run_fuzz(target, 2, operations={COMPLETIONS}, model=MODEL, messages_model=MESSAGES_MODEL)
    results = {o.id: o for o in result.outcomes}
    took = time.monotonic() - started
    assert results["FUZZ-001"].outcome == "failed" and "no answer: ReadTimeout" in results["FUZZ-001"].actual
    # Each request may take its deadline plus a loaded machine's second; one that waited the hang would take 30.
    assert took < result.requests * (deadline_s + 1.0) + 10, f"{result.requests} requests in {took:.1f} s"


# ---------------------------------------------------------------- distinct failures, each with its own curl

def test_two_ways_of_failing_are_two_classes_each_with_its_curl():
    # Both answer 500, which schemathesis alone would report once: the reference's own crash on an unknown
    # field, and the wrapper's crash on a stream request (its message numbered differently every time).
    outcome = fuzz_against(reference("unknown_field_500", wrap=crashing_streams), CHAT, 10, False)["FUZZ-001"]
    assert outcome.outcome == "failed"
    assert len(outcome.violations) == 2 and outcome.violations_more == 0, outcome.violations
    streamed = [v for v in outcome.violations if "stream worker" in v]
    crashed = [v for v in outcome.violations if "The reference server failed" in v]
    assert len(streamed) == len(crashed) == 1
    assert '"stream": true' in streamed[0].split("\ncurl ", 1)[1]
    assert '"stream": true' not in crashed[0].split("\ncurl ", 1)[1]
    assert all("\ncurl -X POST " in v and "-> HTTP 500" in v and "Authorization: ***" in v for v in outcome.violations)
    assert "2 distinct failures" in outcome.actual
    assert outcome.exchange.split("\n\n")[0] in "".join(outcome.violations)  # the smallest curl is one of them
    assert KEY not in outcome.exchange + outcome.actual + "".join(outcome.violations)


def test_classes_are_capped_and_the_rest_counted():
    outcome = fuzz_against(reference(wrap=crashing_in_stages(8)), COMPLETIONS, 10, False)["FUZZ-001"]
    assert len(outcome.violations) == findings.MAX_CLASSES and outcome.violations_more == 8 - findings.MAX_CLASSES
    stages = {re.search(r"crashed in the (\w+) stage", v).group(1) for v in outcome.violations}
    assert len(stages) == findings.MAX_CLASSES
    assert "8 distinct failures" in outcome.actual
    assert KEY not in "".join(outcome.violations)


def test_error_gist_blanks_numbers_and_quoted_values():
    one = findings.error_gist(json.dumps({"error": {"message": "unexpected field 'foo' at 12"}}).encode())
    two = findings.error_gist(json.dumps({"error": {"message": "unexpected field `bar` at 7"}}).encode())
    assert one[0] == "unexpected field 'foo' at 12" and one[1] == two[1] != findings.error_gist(b'{"detail": "other"}')[1]
    assert findings.error_gist(b"<html>\n  Bad Gateway\n")[0] == "<html>"
    assert findings.error_gist(b"") == ("", "")
    assert findings.error_gist(b'{"error": "upstream timeout after 30s"}')[1] == "upstream timeout after Ns"


# ---------------------------------------------------------------- cost, determinism, masking

def test_a_live_run_is_small_and_counted():
    seen: list[str] = []
    with reference(wrap=counting(seen)) as server:
        result = fuzz.run_fuzz(Target(server.base_url, KEY, kind="live"))
        assert fuzz.default_examples(Target(server.base_url, KEY, kind="live")) == fuzz.LIVE_EXAMPLES
    # discovery, cases, one auth probe set per path
    assert result.requests == len(seen) <= 1 + 5 * 2 * fuzz.LIVE_EXAMPLES + 5 * 3
    assert {o.outcome for o in result.outcomes if o.id == "FUZZ-007"} == {"skipped"}  # no coverage phase live
    assert result.input_tokens > 0 and result.output_tokens > 0


def test_answers_without_usage_are_counted_not_taken_for_zero():
    stripped: list[int] = []
    with reference(wrap=stripping_usage(stripped)) as server:
        target = Target(server.base_url, KEY, kind="reference")
        result = fuzz.run_fuzz(target, 6, coverage=False, operations={CHAT, MESSAGES}, model=MODEL,
                               messages_model=MESSAGES_MODEL)
    assert result.input_tokens == result.output_tokens == 0
    assert result.responses_without_usage > 0
    # every 2xx stripped of its usage, less the auth probes' answers (401s), is an answer of unknown usage
    assert result.responses_without_usage == len(stripped)


def test_usage_is_read_from_bodies_and_streams_or_reported_missing():
    assert reported_usage({"usage": {"prompt_tokens": 7, "completion_tokens": 3}}) == (7, 3)
    assert reported_usage({"id": "x"}) is None and reported_usage(None) is None
    events, _ = parse(b'data: {"type": "message_start", "message": {"usage": {"input_tokens": 9}}}\n\n'
                      b'data: {"type": "message_delta", "usage": {"output_tokens": 4}}\n\n')
    assert reported_usage(None, events) == (9, 4)
    assert reported_usage(None, parse(b'data: {"choices": []}\n\ndata: [DONE]\n\n')[0]) is None
    cost = Cost()
    assert "unknown_usage" not in cost.as_dict()
    cost.add(3, 10, 2, unknown_usage=1)
    assert cost.as_dict() == {"requests": 3, "input_tokens": 10, "output_tokens": 2, "retries": 0, "unknown_usage": 1}


def test_same_seed_same_requests_other_seed_other_requests():
    target = Target("http://127.0.0.1:9/api/v1", KEY, kind="live")

    def bodies(seed: int) -> list[str]:
        run = runner.FuzzRun(target, 5, seed, True, MODEL, MESSAGES_MODEL)
        operation = run.schema["/completions"]["POST"]
        return [f"{case.method} {case.body if isinstance(case.body, (dict, list, str, bytes)) else '-'!r}"
                for case in run.cases(operation)]

    assert bodies(1) == bodies(1)
    assert bodies(1) != bodies(2)


def test_shaping_keeps_invalid_cases_invalid_and_valid_cases_valid():
    run = runner.FuzzRun(Target("http://127.0.0.1:9/api/v1", KEY, kind="live"), 10, 0, False, MODEL, MESSAGES_MODEL)
    for path, name in REQUEST_SCHEMAS.items():
        operation = run.schema[path]["POST"]
        for mode in GenerationMode:
            for index, case in enumerate(run.generate(operation, mode)):
                if not isinstance(case.body, dict):
                    continue
                before = dict(case.body)
                shaping.shape(case, MODEL, MESSAGES_MODEL, stream=index % 2 == 0)
                assert bool(validate(name, case.body)) is (mode is GenerationMode.NEGATIVE), (path, case.body)
                for limit in shaping.TOKEN_LIMITS[operation.label]:
                    value = case.body.get(limit)
                    assert not shaping.is_integral(value) or value <= shaping.OUTPUT_TOKEN_CAP or value == before[limit]


def test_curl_masks_the_key_but_not_token_counts():
    target = Target("http://127.0.0.1:9/api/v1", KEY, kind="live")
    schema = config.load_schema(target, 1)
    case = schema["/chat/completions"]["POST"].Case(
        body={"model": MODEL, "messages": [{"role": "user", "content": KEY}], "max_tokens": 5,
              "metadata": {"prompt_tokens": "9"}},
        headers={"Authorization": f"Bearer {KEY}", "X-API-KEY": KEY})
    curl = mask(schemathesis_api.curl(case, target.base_url), KEY)
    assert KEY not in curl
    assert '"max_tokens": 5' in curl and '"prompt_tokens": "9"' in curl
    assert "Authorization: ***" in curl and "X-API-KEY: ***" in curl


# ---------------------------------------------------------------- one place for schemathesis, pinned

def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_schemathesis_api_imports_schemathesis():
    sources = [*sorted((ROOT / "conformance" / "fuzz").glob("*.py")), Path(__file__)]
    importing = {path.name for path in sources if any(name.split(".")[0] == "schemathesis" for name in _imports(path))}
    assert importing == {"schemathesis_api.py"}


def test_schemathesis_is_pinned_to_the_version_its_internals_were_checked_against():
    checked = schemathesis_api.CHECKED_AGAINST
    assert schemathesis_api.installed_version().startswith(checked + ".")
    major, minor = map(int, checked.split("."))
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"schemathesis>={checked},<{major}.{minor + 1}" in dependencies


# ---------------------------------------------------------------- schemathesis's pytest integration

@pytest.fixture(scope="module")
def reference_target() -> Iterator[Target]:
    with reference() as server:
        yield Target(server.base_url, KEY, kind="reference")


# Loaded at import, aimed at a placeholder: each call names the fixture's server. (schemathesis.pytest.from_fixture
# would be the natural fit, but under pytest 9 it fails with "'Function' object has no attribute '_nodeid'".)
schema = config.load_schema(Target("http://127.0.0.1:9/api/v1", KEY, kind="reference"), fuzz.REFERENCE_EXAMPLES,
                            coverage=False)
ALL_CHECKS = [check for checks in runner.CHECKS.values() for check in checks]


@schema.parametrize()
def test_schemathesis_finds_nothing_on_the_reference_server(case, reference_target):
    shaping.shape(case, MODEL, MESSAGES_MODEL, stream=True)
    case.call_and_validate(base_url=reference_target.base_url, checks=ALL_CHECKS)

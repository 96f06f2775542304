"""Small assertions shared by the checks, each failing with what was expected and what came."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable

from ..catalogue import contract
from ..wire.exchange import Exchange
from ..wire.sse import Event
from .case import Failed, Violations

MAX_SHOWN = 240


def show(value: Any, limit: int = MAX_SHOWN) -> str:
    """A short, single-line rendering of an observed value."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "…"


def answered(x: Exchange) -> Exchange:
    """The server answered completely (no timeout, reset, or oversized body)."""
    if x.failure:
        raise Failed("a complete answer", x.failure)
    return x


def status(x: Exchange, accept: Callable[[int], bool] | Iterable[int], expected: str) -> int:
    answered(x)
    ok = accept(x.status) if callable(accept) else x.status in set(accept)
    if not ok:
        raise Failed(expected, f"HTTP {x.status}: {show(x.body.decode('utf-8', 'replace'))}")
    return x.status


def ok(x: Exchange) -> int:
    return status(x, lambda s: 200 <= s < 300, "a 2xx status")


def client_error(x: Exchange) -> int:
    return status(x, lambda s: 400 <= s < 500, "a 4xx status")


def json_object(x: Exchange) -> dict:
    """The body is a JSON object."""
    answered(x)
    body = x.json()
    if not isinstance(body, dict):
        raise Failed("a JSON object body", x.json_error or f"JSON {type(body).__name__}: {show(body)}")
    return body


GROUPED_ACTUAL = 40  # in a stream, what came is shown only when this short, so alike problems group as one


def conforms(instance: Any, schema: str, where: str = "body", into: Violations | None = None) -> None:
    """The instance validates against a schema of openapi/crun.yaml; every problem found is a violation.

    Alone, it fails with all the problems. Given a check's collector (`into`),
    it adds them there placed at `where` (an event, a chunk) and the check
    settles; the same problem on many events is then one violation naming them.
    """
    found = into if into is not None else Violations(f"{where} valid against {schema}")
    for problem in contract.validate(schema, instance):
        if into is None:
            found.add(str(problem))
        else:
            got = f", got {problem.actual}" if len(problem.actual) <= GROUPED_ACTUAL else ""
            found.add(f"{problem.path}: expected {problem.expected}{got}", where)
    if into is None:
        found.settle()


def success_body(x: Exchange, schema: str) -> dict:
    """A 2xx answer whose body is a JSON object valid against a schema of openapi/crun.yaml."""
    ok(x)
    body = json_object(x)
    conforms(body, schema)
    return body


def event_stream(x: Exchange) -> list[Event]:
    """The answer is a 2xx `text/event-stream` with at least one event."""
    ok(x)
    if not x.is_event_stream:
        raise Failed("Content-Type: text/event-stream", f"{x.content_type or '(none)'}: {show(x.body.decode('utf-8', 'replace'))}")
    if not x.events:
        raise Failed("at least one event", f"no complete event in {len(x.body)} bytes: {show(x.trailing.decode('utf-8', 'replace'))}")
    return x.events


def events_conform(x: Exchange, schema: str, skip_done: bool = False) -> None:
    """Every event is a JSON object valid against a stream-event schema; fails naming every distinct problem.

    `skip_done` passes over a `[DONE]` that another requirement judges on its own.
    """
    found = Violations(f"every event a JSON object valid against {schema}")
    for index, event in enumerate(event_stream(x)):
        if skip_done and event.is_done:
            continue
        data = event.json()
        if isinstance(data, dict):
            conforms(data, schema, f"event {index}", into=found)
        else:
            found.add(not_an_object(event), f"event {index}")
    found.settle()


def not_an_object(event: Event) -> str:
    """Why an event's data is not a JSON object, in a way that groups alike events (a stray [DONE] says so)."""
    if event.is_done:
        return "a stray data: [DONE]"
    data = event.json()
    return event.json_error or f"JSON {type(data).__name__}: {show(data, 80)}"


def event_objects(x: Exchange) -> list[dict]:
    """The JSON-object events of a stream, in order; `[DONE]` and unparsable events are other checks' business."""
    return [data for event in event_stream(x) if isinstance(data := event.json(), dict)]


def refused_not_streamed(x: Exchange, expected: str) -> None:
    """A 4xx answer rather than the event stream the request asked for."""
    if x.is_event_stream:
        raise Failed(expected, f"HTTP {x.status} text/event-stream")
    client_error(x)


def openai_error(x: Exchange) -> dict:
    """The body is the OpenAI error object `{"error": {"message", "type", ...}}`."""
    body = json_object(x)
    conforms(body, "OpenAIError", "error body")
    return body["error"]


def anthropic_error(x: Exchange) -> dict:
    """The body is the Anthropic error `{"type": "error", "error": {"type", "message"}}`."""
    body = json_object(x)
    conforms(body, "AnthropicError", "error body")
    return body["error"]


def error_for(endpoint: str) -> Callable[[Exchange], dict]:
    """The error format an endpoint owes: Anthropic on /messages, OpenAI elsewhere."""
    return anthropic_error if endpoint.endswith("/messages") else openai_error


def usage_adds_up(usage: Any, inp: str, out: str, where: str) -> None:
    if not isinstance(usage, dict):
        raise Failed(f"{where} to be a usage object", show(usage))
    numbers = {k: usage.get(k) for k in (inp, out, "total_tokens")}
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in numbers.values()):
        raise Failed(f"{where} {inp}, {out} and total_tokens as integers >= 0", show(numbers))
    if numbers["total_tokens"] != numbers[inp] + numbers[out]:
        raise Failed(f"{where} total_tokens = {inp} + {out} = {numbers[inp] + numbers[out]}",
                     f"total_tokens {numbers['total_tokens']}")


DAY_S = 86_400
SECONDS_SPAN = (1_577_836_800, 4_102_444_800)  # 2020-01-01 .. 2100-01-01 in Unix seconds; milliseconds are ~1000x


def unix_seconds(value: Any, x: Exchange, what: str) -> None:
    """`value` is a Unix timestamp in seconds: within a day of the answer's own Date header, so a replayed cassette is
    judged as it was recorded (without a Date header, a date between 2020 and 2100 in seconds; milliseconds are not)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise Failed(f"{what}, an integer of Unix seconds", show(value))
    try:
        date = parsedate_to_datetime(x.headers.get("date", "")).timestamp()
    except (TypeError, ValueError):
        date = None
    if date is not None:
        if abs(value - date) > DAY_S:
            raise Failed(f"{what} within a day of the answer's Date header ({int(date)} s)",
                         f"{value} ({value - int(date):+d} s)")
    elif not SECONDS_SPAN[0] <= value < SECONDS_SPAN[1]:
        raise Failed(f"{what} in Unix seconds (a date between 2020 and 2100)", str(value))


def arguments_problem(arguments: Any) -> str | None:
    """Why a tool call's `arguments` is not a string holding one JSON object, or None when it is: the one rule for
    chat tool calls, Responses function calls and what the openai SDK assembles."""
    if not isinstance(arguments, str):
        kind = {"dict": "an object", "list": "an array"}.get(type(arguments).__name__, type(arguments).__name__)
        return f"arguments {show(arguments, 60)}: {kind}, not a string holding one"
    try:
        value = json.loads(arguments)
    except ValueError as exc:
        return f"arguments {show(arguments, 80)} do not parse: {exc}"
    return None if isinstance(value, dict) else f"arguments {show(arguments, 80)}: not a JSON object"

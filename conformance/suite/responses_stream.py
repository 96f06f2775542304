"""RESPONSES stream: the event sequence from `response.created` to a terminal event."""

from __future__ import annotations

from ..exchange import Exchange
from .case import Context, Failed, check
from .expect import conforms, event_objects, event_stream, show
from .responses import response_text

TERMINAL = ("response.completed", "response.incomplete", "response.failed")


@check("RESP-STREAM-001")
def responses_stream_content_type(x: Exchange, ctx: Context) -> None:
    event_stream(x)


@check("RESP-STREAM-002")
def responses_events_valid(x: Exchange, ctx: Context) -> None:
    for index, event in enumerate(event_stream(x)):
        data = event.json()
        if not isinstance(data, dict):
            raise Failed(f"event {index} to be a JSON object", event.json_error or show(event.data))
        conforms(data, "ResponseStreamEvent", f"event {index}")


@check("RESP-STREAM-003")
def created_first(x: Exchange, ctx: Context) -> None:
    events = event_objects(x)
    first = events[0].get("type") if events else None
    if first != "response.created":
        raise Failed("response.created as the first event", show(first))


@check("RESP-STREAM-004")
def terminal_last(x: Exchange, ctx: Context) -> None:
    types = [e.get("type") for e in event_objects(x)]
    terminal_at = [i for i, t in enumerate(types) if t in TERMINAL]
    if not types or terminal_at != [len(types) - 1]:
        raise Failed(f"exactly one of {', '.join(TERMINAL)}, as the last event",
                     f"{len(types)} events ending {show(types[-3:])}; terminal at {terminal_at}")


@check("RESP-STREAM-005")
def sequence_increasing(x: Exchange, ctx: Context) -> None:
    previous = None
    for index, event in enumerate(event_objects(x)):
        number = event.get("sequence_number")
        if not isinstance(number, int) or (previous is not None and number <= previous):
            raise Failed(f"event {index} sequence_number above {previous}", show(number))
        previous = number


@check("RESP-STREAM-006")
def event_name_matches_type(x: Exchange, ctx: Context) -> None:
    for index, event in enumerate(event_stream(x)):
        data = event.json()
        kind = data.get("type") if isinstance(data, dict) else None
        if event.event != kind:
            raise Failed(f"event {index} named {kind!r} on its event: line", show(event.event))


@check("RESP-STREAM-007")
def deltas_add_up(x: Exchange, ctx: Context) -> None:
    events = event_objects(x)
    streamed = "".join(e.get("delta", "") for e in events if e.get("type") == "response.output_text.delta")
    done = "".join(e.get("text", "") for e in events if e.get("type") == "response.output_text.done")
    if streamed != done:
        raise Failed(f"deltas joined equal to output_text.done: {show(done, 100)}", show(streamed, 100))
    final = next((e.get("response") for e in reversed(events) if e.get("type") in TERMINAL), None)
    if not isinstance(final, dict):
        raise Failed("a terminal event carrying the response", "none")
    if response_text(final) != streamed:
        raise Failed(f"the final response's text equal to the deltas: {show(streamed, 100)}",
                     show(response_text(final), 100))

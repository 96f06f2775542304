"""RESPONSES stream: the event sequence from `response.created` to a terminal event."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, Violations, check
from .evidence import reached_limit, usage_count
from .expect import event_objects, event_stream, events_conform, show
from .responses import LIMIT, TERMINAL, cut_problems, response_text


@check("RESP-STREAM-001")
def responses_stream_content_type(x: Exchange, ctx: Context) -> None:
    event_stream(x)


@check("RESP-STREAM-002")
def responses_events_valid(x: Exchange, ctx: Context) -> None:
    events_conform(x, "ResponseStreamEvent")


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
    found = Violations("an integer sequence_number on every event, strictly increasing")
    previous = None
    for index, event in enumerate(event_objects(x)):
        number = event.get("sequence_number")
        if not isinstance(number, int) or isinstance(number, bool):
            found.add(f"sequence_number {show(number)}", f"event {index}")
            continue
        if previous is not None and number <= previous:
            found.add(f"sequence_number {number} after {previous}", f"event {index}")
        previous = number
    found.settle()


@check("RESP-STREAM-006")
def event_name_matches_type(x: Exchange, ctx: Context) -> None:
    found = Violations("each event: line naming the event's data.type")
    for index, event in enumerate(event_stream(x)):
        data = event.json()
        kind = data.get("type") if isinstance(data, dict) else None
        if event.event != kind:
            found.add(f"event: {show(event.event)} for type {kind!r}", f"event {index}")
    found.settle()


@check("RESP-STREAM-007")
def deltas_add_up(x: Exchange, ctx: Context) -> None:
    events = event_objects(x)
    streamed = "".join(e.get("delta", "") for e in events if e.get("type") == "response.output_text.delta")
    done = "".join(e.get("text", "") for e in events if e.get("type") == "response.output_text.done")
    found = Violations("the text deltas joined equal to output_text.done and to the final response's text")
    if streamed != done:
        found.add(f"deltas {show(streamed, 100)} but output_text.done {show(done, 100)}")
    final = next((e.get("response") for e in reversed(events) if e.get("type") in TERMINAL), None)
    if not isinstance(final, dict):
        found.add("no terminal event carrying the response")
    elif response_text(final) != streamed:
        found.add(f"deltas {show(streamed, 100)} but the final response's text {show(response_text(final), 100)}")
    found.settle()


@check("RESP-STREAM-008")
def cut_stream_incomplete(x: Exchange, ctx: Context) -> None:
    events = event_objects(x)
    last = next((e for e in reversed(events) if e.get("type") in TERMINAL), None)
    if last is None:
        raise Failed("a terminal response.incomplete event", f"none among {len(events)} events")
    response = last.get("response")
    reached_limit(usage_count(response, "output_tokens"), LIMIT, "output_tokens in the terminal event's response",
                  "response.incomplete")
    found = Violations('a terminal response.incomplete whose response is status "incomplete" with '
                       'incomplete_details.reason "max_output_tokens"')
    if last.get("type") != "response.incomplete":
        found.add(f"terminal event {show(last.get('type'))}")
    for problem in cut_problems(response if isinstance(response, dict) else {}):
        found.add(f"its response's {problem}")
    found.settle()

"""MESSAGES stream: Anthropic's event grammar, from `message_start` to `message_stop`."""

from __future__ import annotations

from ..exchange import Exchange
from .case import Context, Failed, check
from .expect import conforms, event_objects, event_stream, show
from .messages import STOP_REASONS


@check("MSG-STREAM-001")
def messages_stream_content_type(x: Exchange, ctx: Context) -> None:
    event_stream(x)


@check("MSG-STREAM-002")
def messages_events_valid(x: Exchange, ctx: Context) -> None:
    for index, event in enumerate(event_stream(x)):
        data = event.json()
        if event.is_done:
            continue  # MSG-STREAM-006 judges a stray [DONE]
        if not isinstance(data, dict):
            raise Failed(f"event {index} to be a JSON object", event.json_error or show(event.data))
        conforms(data, "MessageStreamEvent", f"event {index}")


# The grammar as transitions: from each state, the event types allowed next.
_NEXT = {
    "start": {"message_start"},
    "message_start": {"content_block_start", "message_delta", "ping"},
    "content_block_start": {"content_block_delta", "content_block_stop", "ping"},
    "content_block_delta": {"content_block_delta", "content_block_stop", "ping"},
    "content_block_stop": {"content_block_start", "message_delta", "ping"},
    "message_delta": {"message_stop", "ping"},
    "message_stop": set(),
}


@check("MSG-STREAM-003")
def events_in_order(x: Exchange, ctx: Context) -> None:
    state = "start"
    types = [e.get("type") for e in event_objects(x)]
    for index, kind in enumerate(types):
        if kind == "error":
            raise Failed("no error event in a successful stream", f"error at event {index}")
        if kind not in _NEXT[state]:
            raise Failed(f"after {state}: one of {sorted(_NEXT[state])}", f"{kind!r} at event {index}")
        if kind != "ping":
            state = kind
    if state != "message_stop":
        raise Failed("the stream to end with message_stop", f"it ends after {state} ({len(types)} events)")


@check("MSG-STREAM-004")
def message_delta_complete(x: Exchange, ctx: Context) -> None:
    deltas = [e for e in event_objects(x) if e.get("type") == "message_delta"]
    if not deltas:
        raise Failed("a message_delta event", "none")
    for event in deltas:
        stop = (event.get("delta") or {}).get("stop_reason")
        tokens = (event.get("usage") or {}).get("output_tokens")
        if stop not in STOP_REASONS or not isinstance(tokens, int):
            raise Failed("message_delta with delta.stop_reason and integer usage.output_tokens",
                         show({"delta": event.get("delta"), "usage": event.get("usage")}))


@check("MSG-STREAM-005")
def messages_event_names(x: Exchange, ctx: Context) -> None:
    for index, event in enumerate(event_stream(x)):
        data = event.json()
        kind = data.get("type") if isinstance(data, dict) else None
        if kind is not None and event.event != kind:
            raise Failed(f"event {index} named {kind!r} on its event: line", show(event.event))


@check("MSG-STREAM-006")
def no_done_marker(x: Exchange, ctx: Context) -> None:
    if any(event.is_done for event in event_stream(x)):
        raise Failed("no [DONE] in an Anthropic stream", "data: [DONE]")

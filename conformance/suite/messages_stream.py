"""MESSAGES stream: Anthropic's event grammar, from `message_start` to `message_stop`."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, Violations, check
from .expect import event_objects, event_stream, events_conform, show
from .messages import STOP_REASONS


@check("MSG-STREAM-001")
def messages_stream_content_type(x: Exchange, ctx: Context) -> None:
    event_stream(x)


@check("MSG-STREAM-002")
def messages_events_valid(x: Exchange, ctx: Context) -> None:
    events_conform(x, "MessageStreamEvent", skip_done=True)  # MSG-STREAM-006 judges a stray [DONE]


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
    # Each event out of place is a violation; reading goes on from it, so later ones are found too.
    found = Violations("message_start, (content_block_start, deltas, content_block_stop)*, message_delta, message_stop")
    state = "start"
    types = [e.get("type") for e in event_objects(x)]
    for index, kind in enumerate(types):
        if kind == "error":
            found.add("an error event in a successful stream", f"event {index}")
            continue
        if kind not in _NEXT[state]:
            found.add(f"{kind!r} after {state} (expected one of {sorted(_NEXT[state])})", f"event {index}")
        if kind != "ping" and kind in _NEXT:
            state = kind
    if state != "message_stop":
        found.add(f"the stream ends after {state} ({len(types)} events), not with message_stop")
    found.settle()


@check("MSG-STREAM-004")
def message_delta_complete(x: Exchange, ctx: Context) -> None:
    deltas = [(i, e) for i, e in enumerate(event_objects(x)) if e.get("type") == "message_delta"]
    if not deltas:
        raise Failed("a message_delta event", "none")
    found = Violations("message_delta with delta.stop_reason and integer usage.output_tokens")
    for index, event in deltas:
        stop = (event.get("delta") or {}).get("stop_reason")
        tokens = (event.get("usage") or {}).get("output_tokens")
        if stop not in STOP_REASONS:
            found.add(f"delta.stop_reason {show(stop)}", f"event {index}")
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            found.add(f"usage.output_tokens {show(tokens)}", f"event {index}")
    found.settle()


@check("MSG-STREAM-005")
def messages_event_names(x: Exchange, ctx: Context) -> None:
    found = Violations("each event: line naming the event's data.type")
    for index, event in enumerate(event_stream(x)):
        data = event.json()
        kind = data.get("type") if isinstance(data, dict) else None
        if kind is not None and event.event != kind:
            found.add(f"event: {show(event.event)} for type {kind!r}", f"event {index}")
    found.settle()


@check("MSG-STREAM-006")
def no_done_marker(x: Exchange, ctx: Context) -> None:
    found = Violations("no [DONE] in an Anthropic stream")
    for index, event in enumerate(event_stream(x)):
        if event.is_done:
            found.add("data: [DONE]", f"event {index}")
    found.settle()


@check("MSG-STREAM-007")
def text_carried(x: Exchange, ctx: Context) -> None:
    """The stream's own evidence, never the model's wording: usage says tokens were written, so a stream of text
    blocks must carry text (a cut or terse answer still has some); a tool call or thinking may hold them instead."""
    events = event_objects(x)
    found = Violations("each text block joined from its start text and text_delta strings; text when output_tokens > 0")
    texts: dict[str, list[str]] = {}  # by block index, as shown: a server's index need not be an integer
    other_blocks = False
    for index, event in enumerate(events):
        kind, at, delta = event.get("type"), show(event.get("index")), event.get("delta")
        if kind == "content_block_start":
            block = event.get("content_block") if isinstance(event.get("content_block"), dict) else {}
            if block.get("type") != "text":
                other_blocks = True
            elif not isinstance(block.get("text"), str):
                found.add(f"content_block_start text {show(block.get('text'))}", f"event {index}")
            else:
                texts[at] = [block["text"]]
        elif kind == "content_block_delta" and isinstance(delta, dict) and delta.get("type") == "text_delta":
            piece = delta.get("text")
            if at not in texts:
                found.add(f"a text_delta for block {at}, which no text content_block_start opened", f"event {index}")
            elif not isinstance(piece, str):
                found.add(f"text_delta text {show(piece)}", f"event {index}")
            else:
                texts[at].append(piece)
    tokens = [(e.get("usage") or {}).get("output_tokens") for e in events if e.get("type") == "message_delta"]
    written = max((t for t in tokens if isinstance(t, int) and not isinstance(t, bool)), default=None)
    text = "".join("".join(pieces) for pieces in texts.values())
    if written is not None and written > 0 and not other_blocks and not text:
        found.add(f"output_tokens {written} in message_delta, but no text in {len(texts)} text block(s)")
    found.settle()

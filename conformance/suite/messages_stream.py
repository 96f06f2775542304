"""MESSAGES stream: Anthropic's event grammar, from `message_start` to `message_stop`.

The text stream's checks judge `messages_stream`; the same rules judge the
streams of a forced tool and of thinking too (`optional_*`), where a proper 4xx
refusal of what the request asked for leaves them unjudged: MSG-013 and MSG-010
judge the refusal, and the tool and thinking checks say "not supported".
"""

from __future__ import annotations

from typing import Any

from ..wire.exchange import Exchange
from .capabilities import supported
from .case import Context, Failed, Skipped, Unsupported, Violations, check
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


def optional_stream(x: Exchange, what: str) -> list[dict]:
    """The JSON events of the stream a request for an optional feature got; `Unsupported` when it was declined with
    a proper 4xx (a malformed refusal or a 5xx fails, as any broken capability does, see capabilities.supported)."""
    if x.status is not None and 400 <= x.status < 500 and not x.failure:
        try:
            supported(x)
        except Unsupported as declined:
            raise Unsupported(f"{what}: {declined}") from None
    return event_objects(x)


def declined_to_skip(x: Exchange, what: str) -> list[dict]:
    """`optional_stream` for a rule of every stream: a feature declined leaves no stream for it to judge."""
    try:
        return optional_stream(x, what)
    except Unsupported as declined:
        raise Skipped(f"no stream to judge, {declined}") from None


def order_violations(events: list[dict]) -> Violations:
    """The grammar, and the blocks: each opens at the next index (0, 1, …), and its deltas and its stop name the
    block open. Each event out of place is a violation; reading goes on from it, so later ones are found too."""
    found = Violations("message_start, then (content_block_start, deltas, content_block_stop) for the blocks at "
                       "indices 0, 1, … in order, each delta and stop naming the open block, then message_delta, "
                       "message_stop")
    state, opened, open_index = "start", 0, None
    for position, event in enumerate(events):
        kind, index, where = event.get("type"), event.get("index"), f"event {position}"
        if kind == "error":
            found.add("an error event in a successful stream", where)
            continue
        if kind not in _NEXT[state]:
            found.add(f"{kind!r} after {state} (expected one of {sorted(_NEXT[state])})", where)
        if kind != "ping" and kind in _NEXT:
            state = kind
        numbered = isinstance(index, int) and not isinstance(index, bool)  # else MSG-STREAM-002 judges the event
        if kind == "content_block_start" and numbered:
            if index != opened:
                found.add(f"content_block_start at index {index}, where the block opened next is {opened}", where)
            opened, open_index = opened + 1, index
        elif kind in ("content_block_delta", "content_block_stop") and numbered:
            if index != open_index:
                open_now = "no block" if open_index is None else f"block {open_index}"
                found.add(f"{kind} for index {index} while {open_now} is open", where)
            if kind == "content_block_stop" and index == open_index:
                open_index = None
    if state != "message_stop":
        found.add(f"the stream ends after {state} ({len(events)} events), not with message_stop")
    return found


@check("MSG-STREAM-003")
def events_in_order(x: Exchange, ctx: Context) -> None:
    order_violations(event_objects(x)).settle()


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


def snapshot_violations(events: list[dict], twin: dict | None) -> Violations:
    """message_start's message, before any content: `content: []`, `stop_reason: null`, and the input tokens the
    request costs (known before generating), as many as the JSON answer to the same request reports (`twin`)."""
    found = Violations("message_start first, its message with content [], stop_reason null and usage.input_tokens > 0"
                       + (" and at least the JSON answer's" if twin else ""))
    first = events[0] if events else {}
    message = first.get("message") if first.get("type") == "message_start" else None
    if not isinstance(message, dict):
        found.add(f"the first event is {show(first.get('type'))}, not a message_start with a message")
        return found
    if message.get("content") != []:
        found.add(f"content {show(message.get('content'), 120)}")
    if message.get("stop_reason") is not None:
        found.add(f"stop_reason {show(message.get('stop_reason'))}")
    usage = message.get("usage") if isinstance(message.get("usage"), dict) else {}
    tokens = usage.get("input_tokens")
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens <= 0:
        found.add(f"usage.input_tokens {show(tokens)}")
    elif twin is not None and tokens < twin["input_tokens"]:
        found.add(f"usage.input_tokens {tokens}, below the {twin['input_tokens']} of the JSON answer to the same "
                  "request")
    return found


@check("MSG-STREAM-008")
def message_start_snapshot(x: Exchange, ctx: Context) -> None:
    snapshot_violations(event_objects(x), None).settle()


def json_twin(xs: list[Exchange], stream: Exchange) -> dict | None:
    """The usage of a 2xx JSON answer, in the same case, to the stream's request without `stream`; None if none."""
    asked = stream.request.json_body
    for x in xs:
        body = x.request.json_body
        if x is stream or not isinstance(body, dict) or not isinstance(asked, dict):
            continue
        if {k: v for k, v in body.items() if k != "stream"} != {k: v for k, v in asked.items() if k != "stream"}:
            continue
        answer = x.json() if x.status is not None and 200 <= x.status < 300 and not x.failure else None
        usage = answer.get("usage") if isinstance(answer, dict) else None
        tokens = usage.get("input_tokens") if isinstance(usage, dict) else None
        if isinstance(tokens, int) and not isinstance(tokens, bool):
            return {"input_tokens": tokens}
    return None


def streamed(xs: list[Exchange], what: str) -> Exchange:
    """The case's streamed request (its body asks `stream: true`)."""
    for x in xs:
        if isinstance(x.request.json_body, dict) and x.request.json_body.get("stream") is True:
            return x
    raise Failed(f"an answer to the streamed request with {what}", "the request was not sent (an earlier one did not "
                 "complete)")


def optional_checks(what: str) -> tuple[Any, ...]:
    """The rules of every stream (valid events, their order and blocks, the message_start snapshot) over the stream
    of a case that asks for `what` (a forced tool, thinking), among its other requests; a JSON answer to the same
    request in the case is the snapshot's twin."""

    @check("MSG-STREAM-002", whole=True)
    def optional_events_valid(xs: list[Exchange], ctx: Context) -> None:
        x = streamed(xs, what)
        declined_to_skip(x, what)
        events_conform(x, "MessageStreamEvent", skip_done=True)

    @check("MSG-STREAM-003", whole=True)
    def optional_events_in_order(xs: list[Exchange], ctx: Context) -> None:
        order_violations(declined_to_skip(streamed(xs, what), what)).settle()

    @check("MSG-STREAM-008", whole=True)
    def optional_snapshot(xs: list[Exchange], ctx: Context) -> None:
        x = streamed(xs, what)
        snapshot_violations(declined_to_skip(x, what), json_twin(xs, x)).settle()

    return optional_events_valid, optional_events_in_order, optional_snapshot

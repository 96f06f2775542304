"""MESSAGES thinking: thinking blocks and their signatures, in JSON and streams, and the turn that sends them back.

Judged on the /messages probe's request, which asks for `thinking` with a
`system` prompt (parameters_accepted.py), then on the same request streamed,
then on a second turn that sends the streamed content back unchanged, thinking
and signatures included, as Claude Code and every agent does. A proper 4xx
refusal of thinking is "not supported" here (MSG-010 judges the refusal); a
refusal of the second turn is what breaks multi-turn agents, and fails.
"""

from __future__ import annotations

from typing import Sequence

from ..wire.exchange import Exchange, Request
from .capabilities import supported
from .case import Context, Failed, NotJudged, Unsupported, Violations, check
from .expect import show, success_body
from .messages_blocks import StreamedBlock, streamed_blocks
from .messages_stream import optional_stream, streamed
from .parameters_accepted import MESSAGES_PROBE, THINKING

THINKING_KINDS = ("thinking", "redacted_thinking")
FOLLOW_UP = "Now say it again in five words."
WHAT = "thinking"


def stream_request(ctx: Context, _: Sequence[Exchange]) -> Request:
    """The probe's request with every option, system and thinking, streamed: the probe's JSON answer is its twin."""
    return Request("POST", "/messages", {**MESSAGES_PROBE.body(ctx, MESSAGES_PROBE.options), "stream": True})


def _blocks(x: Exchange | None) -> list[StreamedBlock]:
    """The content blocks of a 2xx event stream; none for anything else (the stream checks judge that)."""
    if x is None or x.failure or x.status is None or not 200 <= x.status < 300 or not x.is_event_stream:
        return []
    return streamed_blocks([data for event in x.events or () if isinstance(data := event.json(), dict)])


def second_turn_request(ctx: Context, earlier: Sequence[Exchange]) -> Request | None:
    """The next turn of the streamed conversation: the assistant's content as the stream delivered it, thinking
    blocks and signatures unchanged, then a new question. Nothing is sent when no thinking block came to send back:
    a billed request would prove nothing."""
    stream = next((x for x in earlier if x.request.wants_stream), None)
    content = [block.assembled() for block in _blocks(stream)]
    if stream is None or not any(block.get("type") in THINKING_KINDS for block in content):
        return None
    body = {k: v for k, v in stream.request.json_body.items() if k != "stream"}
    body["messages"] = [*body["messages"], {"role": "assistant", "content": content},
                        {"role": "user", "content": FOLLOW_UP}]
    return Request("POST", "/messages", body)


def _asked_thinking(x: Exchange) -> bool:
    return THINKING.carried_by(x)


def _first_turn(xs: list[Exchange]) -> Exchange:
    """The JSON answer to the request with thinking (the probe's, all options together)."""
    for x in xs:
        body = x.request.json_body
        if _asked_thinking(x) and not x.request.wants_stream and isinstance(body, dict) and len(body["messages"]) == 1:
            return x
    raise Failed("an answer to the request with thinking", "the request was not sent")


@check("MSG-016", whole=True)
def thinking_signed(xs: list[Exchange], ctx: Context) -> None:
    x = _first_turn(xs)
    if x.status is not None and 400 <= x.status < 500:
        try:
            supported(x)
        except Unsupported as declined:
            raise Unsupported(f"{WHAT}: {declined}") from None
    content = success_body(x, "Message")["content"]
    kinds = [block.get("type") if isinstance(block, dict) else None for block in content]
    found = Violations("content opening with thinking blocks, each with a non-empty signature, before the answer")
    if not kinds or kinds[0] not in THINKING_KINDS:
        found.add(f"content blocks {show(kinds)}, no thinking block first")
    for index, block in enumerate(content):
        if isinstance(block, dict) and block.get("type") == "thinking":
            signature = block.get("signature")
            if not isinstance(signature, str) or not signature:
                found.add(f"signature {show(signature)}", f"content[{index}]")
    found.settle()


@check("MSG-STREAM-011", whole=True)
def thinking_streamed(xs: list[Exchange], ctx: Context) -> None:
    blocks = streamed_blocks(optional_stream(streamed(xs, WHAT), WHAT))
    found = Violations("a thinking block first; in each thinking block, thinking_delta events, then a non-empty "
                       "signature_delta just before its content_block_stop")
    if not blocks or blocks[0].type not in THINKING_KINDS:
        found.add(f"the stream opens {show(blocks[0].type) if blocks else 'no block'}, no thinking block")
    for block in blocks:
        if block.type != "thinking":
            continue
        where = f"block {show(block.index)}"
        if not block.pieces("thinking_delta", "thinking"):
            found.add("no thinking_delta", where)
        signatures = block.pieces("signature_delta", "signature")
        if not signatures:
            found.add("no signature_delta", where)
        elif not isinstance(signatures[-1], str) or not signatures[-1]:
            found.add(f"signature_delta signature {show(signatures[-1])}", where)
        elif block.deltas[-1].get("type") != "signature_delta":
            found.add(f"a {show(block.deltas[-1].get('type'))} after the signature_delta", where)
    found.settle()


@check("MSG-017", whole=True)
def thinking_sent_back(xs: list[Exchange], ctx: Context) -> None:
    second = next((x for x in xs if isinstance(x.request.json_body, dict)
                   and any(m.get("role") == "assistant" for m in x.request.json_body.get("messages") or ())), None)
    if second is None:
        stream = streamed(xs, WHAT)
        try:
            optional_stream(stream, WHAT)
        except Failed as broken:
            raise NotJudged(f"no stream of thinking to send back ({broken.actual}); MSG-STREAM-001..011 judge "
                            "it") from None
        raise NotJudged("the stream carried no thinking block to send back; MSG-STREAM-011 judges that")
    success_body(second, "Message")

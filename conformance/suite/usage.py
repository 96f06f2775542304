"""USAGE: token usage inside chat streams, sent automatically (CRUN) or when asked (everyone)."""

from __future__ import annotations

from ..exchange import Exchange
from .case import Context, Failed, Skipped, check
from .chat_stream import chunks
from .expect import event_stream, show, usage_adds_up


def usage_chunks(x: Exchange) -> list[dict]:
    """Chunks that carry a non-null usage and come before any [DONE]."""
    events = event_stream(x)
    done = next((i for i, e in enumerate(events) if e.is_done), len(events))
    before = [e.json() for e in events[:done]]
    return [c for c in before if isinstance(c, dict) and c.get("usage") is not None]


def _usage_arrives(x: Exchange) -> None:
    if not usage_chunks(x):
        raise Failed("a chunk with usage before [DONE]", f"none among {len(chunks(x))} chunks")


@check("USAGE-001")
def usage_sent_automatically(x: Exchange, ctx: Context) -> None:
    _usage_arrives(x)


@check("USAGE-002")
def usage_sent_when_asked(x: Exchange, ctx: Context) -> None:
    _usage_arrives(x)


@check("USAGE-003")
def stream_usage_consistent(x: Exchange, ctx: Context) -> None:
    found = usage_chunks(x)
    if not found:
        raise Skipped("no usage in this stream to judge; whether it must arrive is USAGE-001/002")
    if len(found) != 1:
        raise Failed("usage reported in exactly one chunk", f"{len(found)} chunks with usage")
    usage_adds_up(found[0]["usage"], "prompt_tokens", "completion_tokens", "stream usage")


@check("USAGE-004")
def usage_chunk_has_no_choices(x: Exchange, ctx: Context) -> None:
    for chunk in usage_chunks(x):
        if chunk.get("choices") != []:
            raise Failed("the usage chunk to have choices: []", show(chunk.get("choices")))

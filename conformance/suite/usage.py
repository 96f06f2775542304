"""USAGE: token usage inside chat streams, sent automatically (CRUN) or when asked (everyone), on the last chunk, and
not when declined."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, Skipped, Violations, check
from .chat_stream import chunks, chunks_before_done
from .expect import show, usage_adds_up


def usage_chunks(x: Exchange) -> list[dict]:
    """Chunks that carry a non-null usage and come before any [DONE]."""
    return [c for c in chunks_before_done(x) if c.get("usage") is not None]


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
    found_usage = usage_chunks(x)
    if not found_usage:
        raise Skipped("no usage in this stream to judge; whether it must arrive is USAGE-001/002")
    found = Violations("usage in exactly one chunk, as integers with total_tokens = prompt + completion")
    if len(found_usage) != 1:
        found.add(f"{len(found_usage)} chunks with usage")
    for index, chunk in enumerate(found_usage):
        try:
            usage_adds_up(chunk["usage"], "prompt_tokens", "completion_tokens", "stream usage")
        except Failed as exc:
            found.add(f"{exc.actual} (expected {exc.expected})", f"usage chunk {index}")
    found.settle()


@check("USAGE-004")
def usage_chunk_has_no_choices(x: Exchange, ctx: Context) -> None:
    found = Violations("the usage chunk to have choices: []")
    for index, chunk in enumerate(usage_chunks(x)):
        if chunk.get("choices") != []:
            found.add(f"choices {show(chunk.get('choices'))}", f"usage chunk {index}")
    found.settle()


@check("USAGE-005")
def usage_chunk_last(x: Exchange, ctx: Context) -> None:
    """Seed 002's recorded stream puts usage on its last chunk, the finish chunk: any last chunk may carry it."""
    before = chunks_before_done(x)
    carrying = [i for i, c in enumerate(before) if c.get("usage") is not None]
    if not carrying:
        raise Skipped("no usage in this stream to place; whether it must arrive is USAGE-001/002")
    if carrying[-1] != len(before) - 1:
        after = before[carrying[-1] + 1:]
        reasons = [c.get("finish_reason") for chunk in after for c in chunk.get("choices") or [] if isinstance(c, dict)]
        raise Failed("the usage chunk last before [DONE]",
                     f"{len(after)} chunk(s) after it (finish_reason {show([r for r in reasons if r is not None])})")


@check("USAGE-006")
def usage_not_sent_when_declined(x: Exchange, ctx: Context) -> None:
    found = usage_chunks(x)
    if found:
        raise Failed("no chunk with usage for include_usage: false", f"{len(found)} chunk(s) with usage: "
                     f"{show(found[0]['usage'], 120)}")

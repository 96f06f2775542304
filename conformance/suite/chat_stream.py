"""CHAT-STREAM: the shape of a streamed chat completion, chunk by chunk.

Each check reads the stream as leniently as its own requirement allows, so a
server that breaks one rule (say, no `[DONE]`) fails that rule alone.
"""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, Violations, check
from .expect import conforms, event_objects, event_stream, not_an_object, show, unix_seconds

chunks = event_objects  # a chat stream's JSON objects are its chunks


def chunks_before_done(x: Exchange) -> list[dict]:
    """The JSON chunks that come before any [DONE] (all of them when it never came: CHAT-STREAM-003 judges that)."""
    events = event_stream(x)
    done = next((i for i, e in enumerate(events) if e.is_done), len(events))
    return [c for c in (e.json() for e in events[:done]) if isinstance(c, dict)]


def choice_deltas(x: Exchange) -> dict[int, list[dict]]:
    """Per choice index, the choice objects of every chunk that mentions it."""
    per_choice: dict[int, list[dict]] = {}
    for chunk in chunks(x):
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict):
                per_choice.setdefault(choice.get("index", 0), []).append(choice)
    return per_choice


def _choice_order(item: tuple) -> tuple:
    """Choices by index; an index that is not an integer (a server's mistake) sorts last instead of crashing."""
    index = item[0]
    return (0, index, "") if isinstance(index, int) and not isinstance(index, bool) else (1, 0, str(index))


@check("CHAT-STREAM-001")
def stream_content_type(x: Exchange, ctx: Context) -> None:
    event_stream(x)


@check("CHAT-STREAM-002")
def events_are_json_or_done(x: Exchange, ctx: Context) -> None:
    found = Violations("every event to be a JSON chunk or [DONE]")
    for index, event in enumerate(event_stream(x)):
        if not event.is_done and not isinstance(event.json(), dict):
            found.add(not_an_object(event), f"event {index}")
    found.settle()


@check("CHAT-STREAM-003")
def done_is_last(x: Exchange, ctx: Context) -> None:
    events = event_stream(x)
    done_at = [i for i, e in enumerate(events) if e.is_done]
    found = Violations("exactly one data: [DONE], as the last event, and nothing after it")
    if not done_at:
        found.add(f"{len(events)} events and no [DONE]; the last: {show(events[-1].data, 120)}")
    elif done_at != [len(events) - 1]:
        found.add(f"[DONE] at events {done_at} of {len(events)}")
    if x.trailing.strip():
        found.add(f"bytes after the last event: {show(x.trailing.decode('utf-8', 'replace'))}")
    found.settle()


@check("CHAT-STREAM-004")
def chunks_valid(x: Exchange, ctx: Context) -> None:
    found = Violations("every chunk valid against ChatCompletionChunk")
    for index, chunk in enumerate(chunks(x)):
        conforms(chunk, "ChatCompletionChunk", f"chunk {index}", into=found)
    found.settle()


@check("CHAT-STREAM-005")
def one_finish_reason_per_choice(x: Exchange, ctx: Context) -> None:
    per_choice = choice_deltas(x)
    if not per_choice:
        raise Failed("at least one choice in the stream", "no choices in any chunk")
    found = Violations("exactly one non-null finish_reason per choice")
    for index, choices in sorted(per_choice.items(), key=_choice_order):
        reasons = [c["finish_reason"] for c in choices if c.get("finish_reason") is not None]
        if len(reasons) != 1:
            found.add(f"choice {index}: {len(reasons)} finish_reasons {show(reasons)}")
    found.settle()


@check("CHAT-STREAM-006")
def first_delta_has_role(x: Exchange, ctx: Context) -> None:
    found = Violations('role "assistant" in the first delta of each choice')
    for index, choices in sorted(choice_deltas(x).items(), key=_choice_order):
        delta = choices[0].get("delta") or {}
        if delta.get("role") != "assistant":
            found.add(f"choice {index}: first delta {show(delta)}")
    found.settle()


@check("CHAT-STREAM-007")
def one_stable_id(x: Exchange, ctx: Context) -> None:
    ids = [chunk.get("id") for chunk in chunks(x)]
    distinct = list(dict.fromkeys(ids))
    if len(distinct) != 1 or not distinct[0]:
        raise Failed("one non-empty id shared by all chunks", f"ids {show(distinct, 160)} over {len(ids)} chunks")


@check("CHAT-015")
def chunks_created_in_seconds(x: Exchange, ctx: Context) -> None:
    """Seed 002's recorded stream sends `created: 0` on its content chunks and the time on its last: 0 is passed over,
    but one chunk at least must say when (CHAT-STREAM-004 judges the type of the rest)."""
    found = Violations("every chunk's created, where set, in Unix seconds within a day of the Date header")
    stamped = [(index, chunk["created"]) for index, chunk in enumerate(chunks(x))
               if chunk.get("created") is not None and not (type(chunk["created"]) is int and chunk["created"] == 0)]
    if not stamped:
        raise Failed("at least one chunk with its created time", "created 0 or absent on every chunk")
    for index, created in stamped:
        try:
            unix_seconds(created, x, "created")
        except Failed as exc:
            found.add(f"{exc.actual} (expected {exc.expected})", f"chunk {index}")
    found.settle()


@check("CHAT-STREAM-014")
def empty_choices_only_for_usage(x: Exchange, ctx: Context) -> None:
    """Judged on the chunks before any `[DONE]` (what follows it is CHAT-STREAM-003's); a usage sent when declined is
    USAGE-006's."""
    found = Violations("choices: [] only on the usage chunk, which carries the usage")
    for index, chunk in enumerate(chunks_before_done(x)):
        if chunk.get("choices") == [] and chunk.get("usage") is None:
            found.add("a chunk with choices: [] and no usage", f"chunk {index}")
    found.settle()


@check("CHAT-STREAM-015")
def finish_chunk_last_of_its_choice(x: Exchange, ctx: Context) -> None:
    """Judged on the chunks before any `[DONE]`; a choice with no finish_reason is CHAT-STREAM-005's."""
    found = Violations("no chunk of a choice after the chunk carrying its finish_reason")
    finished: dict[str, int] = {}  # choice index -> the chunk that carried its finish_reason
    for number, chunk in enumerate(chunks_before_done(x)):
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            key = str(choice.get("index", 0))
            if key in finished:
                found.add(f"a chunk of choice {key} after its finish chunk (chunk {finished[key]})", f"chunk {number}")
            elif choice.get("finish_reason") is not None:
                finished[key] = number
    found.settle()

"""MESSAGES blocks: a Messages stream's content blocks, put together the way a client puts them together.

A client opens a block on its `content_block_start` and feeds it the deltas
that name its index: a text block its `text_delta` pieces, a `tool_use` block
its `input_json_delta` pieces (joined, then parsed into the input object), a
thinking block its `thinking_delta` pieces and the `signature_delta` sent just
before its `content_block_stop`. The checks judge what the server streamed
(messages_stream.py, messages_tools.py, messages_thinking.py), and the second
turn of a thinking conversation sends these blocks back as a client would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

NO_INPUT = object()  # the pieces of a tool_use block did not join to JSON


@dataclass
class StreamedBlock:
    """One content block as streamed: where it opened, its start payload, and the deltas sent to its index."""

    index: Any
    opened_at: int  # the event's position in the stream
    start: dict
    deltas: list[dict] = field(default_factory=list)

    @property
    def type(self) -> Any:
        return self.start.get("type")

    def pieces(self, kind: str, key: str) -> list[Any]:
        return [d.get(key) for d in self.deltas if d.get("type") == kind]

    def joined(self, kind: str, key: str) -> str:
        """The string pieces of one kind of delta, joined (pieces that are no string are left out)."""
        return "".join(piece for piece in self.pieces(kind, key) if isinstance(piece, str))

    @property
    def input(self) -> Any:
        """A tool_use block's input as a client reads it: its input_json_delta pieces joined and parsed (no piece, or
        only empty ones: `{}`, as Anthropic streams a tool without arguments), or the start's `input` when no
        input_json_delta came at all; NO_INPUT when the pieces do not parse."""
        pieces = self.pieces("input_json_delta", "partial_json")
        if not pieces:
            return self.start.get("input")
        text = self.joined("input_json_delta", "partial_json")
        if not text.strip():
            return {}
        try:
            return json.loads(text)
        except ValueError:
            return NO_INPUT

    @property
    def signature(self) -> Any:
        """A thinking block's signature: the last signature_delta's, else what its start carried."""
        signatures = self.pieces("signature_delta", "signature")
        return signatures[-1] if signatures else self.start.get("signature")

    def assembled(self) -> dict:
        """The block as the final message holds it, ready to send back in a later turn."""
        if self.type == "text":
            return {"type": "text", "text": str(self.start.get("text") or "") + self.joined("text_delta", "text")}
        if self.type == "thinking":
            return {"type": "thinking", "thinking": str(self.start.get("thinking") or "")
                    + self.joined("thinking_delta", "thinking"), "signature": self.signature}
        if self.type == "tool_use":
            value = self.input
            return {**self.start, "input": value if isinstance(value, dict) else {}}
        return dict(self.start)


def streamed_blocks(events: list[dict]) -> list[StreamedBlock]:
    """The content blocks a stream opened, in the order they opened; each delta goes to the latest block opened at
    its index (a delta for an index no block opened is left out: MSG-STREAM-003 judges it)."""
    blocks: list[StreamedBlock] = []
    latest: dict[str, StreamedBlock] = {}
    for position, event in enumerate(events):
        kind, index = event.get("type"), json.dumps(event.get("index"))
        if kind == "content_block_start":
            start = event.get("content_block") if isinstance(event.get("content_block"), dict) else {}
            latest[index] = StreamedBlock(event.get("index"), position, start)
            blocks.append(latest[index])
        elif kind == "content_block_delta" and index in latest and isinstance(event.get("delta"), dict):
            latest[index].deltas.append(event["delta"])
    return blocks


def stop_reason(events: list[dict]) -> Any:
    """The stop_reason the stream's last message_delta gives."""
    deltas = [e.get("delta") for e in events if e.get("type") == "message_delta"]
    return deltas[-1].get("stop_reason") if deltas and isinstance(deltas[-1], dict) else None

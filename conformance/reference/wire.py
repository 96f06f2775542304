"""Bytes on the wire: JSON encoding, JSON and event-stream responses, ids and timestamps.

One encoder for every body and event: compact separators, and ASCII escapes so
that whatever a client sent (lone surrogates included) can always be encoded.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.responses import Response, StreamingResponse

from .faults import KEEP_ALIVE_S, SSE_NO_BLANK_LINES, STALL_AFTER_EVENTS, STREAM_AS_JSON, STREAM_ENDLESS, STREAM_STALLS, Fault

DONE = b"data: [DONE]\n\n"
# Set as a header rather than a media type, so Starlette does not append "; charset=utf-8".
SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no"}


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body).encode(), status_code=status, headers=headers, media_type="application/json")


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event: an optional `event:` line, one `data:` line of JSON, a blank line."""
    head = f"event: {event}\n" if event is not None else ""
    return f"{head}data: {dumps(data)}\n\n".encode()


def typed_sse(data: dict) -> bytes:
    """An event whose `event:` line names its `data.type` (Responses and Anthropic streams)."""
    return sse(data, data["type"])


def event_stream(events: Iterable[bytes], faults: frozenset[Fault] = frozenset()) -> StreamingResponse:
    """A `text/event-stream` response sending each event as its own write."""

    async def send() -> AsyncIterator[bytes]:
        for number, event in enumerate(events):
            if number == STALL_AFTER_EVENTS and STREAM_STALLS in faults:
                await asyncio.Event().wait()
            while number == STALL_AFTER_EVENTS and STREAM_ENDLESS in faults:
                yield b": keep-alive\n\n"
                await asyncio.sleep(KEEP_ALIVE_S)
            yield event.replace(b"\n\n", b"\n") if SSE_NO_BLANK_LINES in faults else event

    headers = {**SSE_HEADERS, "content-type": "application/json"} if STREAM_AS_JSON in faults else SSE_HEADERS
    return StreamingResponse(send(), headers=headers)


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def now() -> int:
    return int(time.time())

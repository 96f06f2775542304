"""Pacing like a real model: latency before the first byte, a pause between streamed events, and rate limits.

A live gateway answers in seconds, not milliseconds, and protects itself with
429s; a benchmark or a test that only meets an instant loopback learns nothing
about either. `ReferenceConfig.latency_ms`, `chunk_ms`, `rate_limit_every` and
`max_concurrency` switch these on, as ASGI middleware around the whole app, so
no endpoint carries timing code of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .config import ReferenceConfig
from .errors import ApiError, anthropic_body, is_anthropic, openai_body
from .wire import dumps

Message = dict[str, Any]
ASGIApp = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
RETRY_AFTER_S = 1


async def _buffered(scope: Message, receive: Callable[[], Awaitable[Message]]) -> tuple[Callable[[], Awaitable[Message]], str]:
    """Read the whole request body once, to fingerprint the request, and hand the app a receive that replays it."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    body = b"".join(m.get("body", b"") for m in chunks)
    headers = dict(scope.get("headers") or [])
    key = b"\x1f".join([scope["method"].encode(), scope["path"].encode(), headers.get(b"authorization", b""),
                        headers.get(b"x-api-key", b""), body])
    pending = list(chunks)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay, hashlib.sha256(key).hexdigest()


class Pacing:
    """Every K-th request gets 429 with Retry-After; a generated answer waits `latency_ms`, its events `chunk_ms`.

    A request refused once is served when it comes back (for K > 1), as a real limiter's window has passed by the
    time a client waited Retry-After; with K = 1 every request is refused, always.
    """

    def __init__(self, app: ASGIApp, config: ReferenceConfig) -> None:
        self.app = app
        self.latency_s = config.latency_ms / 1000
        self.chunk_s = config.chunk_ms / 1000
        self.every = config.rate_limit_every
        self.requests = 0
        self.refused: set[str] = set()  # requests refused once: served when they come back (every > 1)

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.every:
            receive, fingerprint = await _buffered(scope, receive)
            if fingerprint in self.refused and self.every > 1:
                self.refused.discard(fingerprint)  # it waited its Retry-After, as a real limiter's window would pass
            else:
                self.requests += 1
                if self.requests % self.every == 0:
                    self.refused.add(fingerprint)
                    await self._rate_limited(scope["path"], send)
                    return
        generating = scope["method"] == "POST"  # GET /models lists, it calls no model
        await self.app(scope, receive, self._paced(send) if generating and (self.latency_s or self.chunk_s) else send)

    def _paced(self, send: Callable[[Message], Awaitable[None]]) -> Callable[[Message], Awaitable[None]]:
        """A generated (2xx) answer waits `latency_s` before its first byte; a refusal comes at once, as a gateway
        answers a wrong key or an unknown model before any model is called."""
        streaming = False
        events_sent = 0

        async def paced(message: Message) -> None:
            nonlocal streaming, events_sent
            if message["type"] == "http.response.start":
                streaming = dict(message["headers"]).get(b"content-type", b"").startswith(b"text/event-stream")
                if self.latency_s and 200 <= message["status"] < 300:
                    await asyncio.sleep(self.latency_s)
            elif streaming and self.chunk_s and message.get("body"):
                if events_sent:
                    await asyncio.sleep(self.chunk_s)
                events_sent += 1
            await send(message)

        return paced

    async def _rate_limited(self, path: str, send: Callable[[Message], Awaitable[None]]) -> None:
        error = ApiError(429, f"Rate limit reached: every {self.every}th request is refused; retry after "
                              f"{RETRY_AFTER_S} s.", None, "rate_limit_exceeded")
        await _send_429(error, path, send)


@dataclass
class Admission:
    """What the concurrency limit saw: requests in flight now, the most at once, and how many it refused."""

    in_flight: int = 0
    peak: int = 0
    refused: int = 0


class ConcurrencyLimit:
    """`max_concurrency`: a gateway's concurrency limit. Above N requests in flight (latency included), a request is
    answered 429 with Retry-After at once, in its endpoint's error format; `app.state.admission` counts it all."""

    def __init__(self, app: ASGIApp, config: ReferenceConfig, admission: Admission) -> None:
        self.app = app
        self.most = config.max_concurrency
        self.counts = admission

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counts = self.counts
        if counts.in_flight >= self.most:
            counts.refused += 1
            error = ApiError(429, f"Too many requests in flight: at most {self.most} at once; retry after "
                                  f"{RETRY_AFTER_S} s.", None, "rate_limit_exceeded")
            await _send_429(error, scope["path"], send)
            return
        counts.in_flight += 1
        counts.peak = max(counts.peak, counts.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            counts.in_flight -= 1


async def _send_429(error: ApiError, path: str, send: Callable[[Message], Awaitable[None]]) -> None:
    body = dumps(anthropic_body(error) if is_anthropic(path) else openai_body(error)).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode())]})
    await send({"type": "http.response.body", "body": body})

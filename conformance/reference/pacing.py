"""Pacing like a real model: latency before the first byte, a pause between streamed events, and rate limits.

A live gateway answers in seconds, not milliseconds, and protects itself with
429s; a benchmark or a test that only meets an instant loopback learns nothing
about either. `ReferenceConfig.latency_ms`, `chunk_ms` and `rate_limit_every`
switch these on, as ASGI middleware around the whole app, so no endpoint
carries timing code of its own.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from .config import ReferenceConfig
from .errors import ApiError, anthropic_body, is_anthropic, openai_body
from .wire import dumps

Message = dict[str, Any]
ASGIApp = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
RETRY_AFTER_S = 1


class Pacing:
    """Every K-th POST gets 429 with Retry-After; every other POST waits `latency_ms`, its stream events `chunk_ms`."""

    def __init__(self, app: ASGIApp, config: ReferenceConfig) -> None:
        self.app = app
        self.latency_s = config.latency_ms / 1000
        self.chunk_s = config.chunk_ms / 1000
        self.every = config.rate_limit_every
        self.posts = 0

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        self.posts += 1
        if self.every and self.posts % self.every == 0:
            await self._rate_limited(scope["path"], send)
            return
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        await self.app(scope, receive, self._paced(send) if self.chunk_s else send)

    def _paced(self, send: Callable[[Message], Awaitable[None]]) -> Callable[[Message], Awaitable[None]]:
        streaming = False
        events_sent = 0

        async def paced(message: Message) -> None:
            nonlocal streaming, events_sent
            if message["type"] == "http.response.start":
                streaming = dict(message["headers"]).get(b"content-type", b"").startswith(b"text/event-stream")
            elif streaming and message.get("body"):
                if events_sent:
                    await asyncio.sleep(self.chunk_s)
                events_sent += 1
            await send(message)

        return paced

    async def _rate_limited(self, path: str, send: Callable[[Message], Awaitable[None]]) -> None:
        error = ApiError(429, f"Rate limit reached: every {self.every}th request is refused; retry after "
                              f"{RETRY_AFTER_S} s.", None, "rate_limit_exceeded")
        body = dumps(anthropic_body(error) if is_anthropic(path) else openai_body(error)).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(RETRY_AFTER_S).encode())]})
        await send({"type": "http.response.body", "body": body})

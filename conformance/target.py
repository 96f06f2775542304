"""Where and how to call: the target, its credentials, and a caller with hard deadlines.

Every request runs under one overall deadline (asyncio.timeout around the whole
exchange), and bodies are capped, so a server that hangs, trickles, or streams
forever yields a failed exchange within a bounded time, never a stuck run.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Coroutine, TypeVar
from urllib.parse import urlsplit

import httpx

from .cost import Cost
from .exchange import SECRET_HEADERS, Exchange, Request
from .sse import SSEParser

DEFAULT_TIMEOUT_S = 20.0
MAX_BODY_BYTES = 8 * 1024 * 1024
WRONG_KEY = "crun-conformance-wrong-key-0000"
BROKEN_BEFORE_RESPONSE = "connection broken before a response"
T = TypeVar("T")


class TargetError(Exception):
    """The target cannot be certified at all (unreachable, key refused, no models): exit code 2."""


@dataclass(frozen=True)
class Target:
    """The server under test. `kind` is live, reference or replay; the key is never printed."""

    base_url: str
    api_key: str = field(repr=False)
    kind: str = "live"
    model: str | None = None
    messages_model: str | None = None
    profile: str = "crun"
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TargetError(f"base URL must be an http(s) URL such as https://api.crun.ai/api/v1, got {self.base_url!r}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def with_models(self, model: str, messages_model: str) -> Target:
        return replace(self, model=model, messages_model=messages_model)

    def auth_headers(self, auth: str) -> dict[str, str]:
        key = WRONG_KEY if auth.startswith("wrong-") else self.api_key
        scheme = auth.removeprefix("wrong-")
        if scheme == "bearer":
            return {"Authorization": f"Bearer {key}"}
        if scheme == "x-api-key":
            return {"X-API-KEY": key}
        return {}


class Caller:
    """Sends requests to a target from one background event loop and records raw exchanges."""

    def __init__(self, target: Target, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.target = target
        self.max_body_bytes = max_body_bytes
        self.cost = Cost()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="conformance-caller", daemon=True)
        self._thread.start()
        self._client = self.run(self._make_client())

    async def _make_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.target.timeout_s, connect=min(10.0, self.target.timeout_s)),
            follow_redirects=False,
            headers={"User-Agent": "crun-conformance"},
        )

    def run(self, coro: Coroutine[object, object, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def call(self, request: Request) -> Exchange:
        """Send one request; a kept-alive connection the server had already closed gets one fresh retry."""
        started = time.monotonic()
        exchange = self.run(self._call(request, self.target.timeout_s))
        remaining = self.target.timeout_s - (time.monotonic() - started)
        if exchange.status is None and (exchange.failure or "").startswith(BROKEN_BEFORE_RESPONSE) and remaining > 0:
            self.cost.add(1)
            exchange = self.run(self._call(request, remaining))
        self.cost.add_exchange(exchange)
        return exchange

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self.run(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _call(self, request: Request, timeout: float) -> Exchange:
        exchange = Exchange(request=request)
        headers = self.target.auth_headers(request.auth)
        if request.content_type:
            headers["Content-Type"] = request.content_type
        if request.wants_stream:
            headers["Accept"] = "text/event-stream"
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                await self._receive(request, headers, exchange, started)
        except TimeoutError:
            got = f"{len(exchange.body)} bytes" if exchange.status else "no response"
            exchange.failure = f"deadline of {self.target.timeout_s:g} s exceeded ({got} received so far)"
        except httpx.ConnectError as exc:
            exchange.failure = f"could not connect to {self.target.base_url}: {_reason(exc)}"
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            got = f"connection broken after {len(exchange.body)} body bytes" if exchange.status else BROKEN_BEFORE_RESPONSE
            exchange.failure = f"{got}: {_reason(exc)}"
        except httpx.HTTPError as exc:
            exchange.failure = f"transport error ({exc.__class__.__name__}): {_reason(exc)}"
        exchange.elapsed_s = time.monotonic() - started
        return exchange

    async def _receive(self, request: Request, headers: dict[str, str], exchange: Exchange, started: float) -> None:
        url = self.target.base_url + request.path
        async with self._client.stream(request.method, url, content=request.body_bytes(), headers=headers) as response:
            exchange.status = response.status_code
            exchange.headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in SECRET_HEADERS}
            parser = SSEParser() if exchange.is_event_stream else None
            body = bytearray()
            if parser is not None:
                exchange.events = []
            try:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if parser is not None:
                        new = parser.feed(chunk)
                        if new and exchange.first_event_s is None:
                            exchange.first_event_s = time.monotonic() - started
                        exchange.events.extend(new)
                    if len(body) > self.max_body_bytes:
                        exchange.failure = f"body exceeded {self.max_body_bytes // (1024 * 1024)} MiB; stopped reading"
                        break
            finally:
                exchange.body = bytes(body)
                if parser is not None:
                    exchange.trailing = parser.trailing


def _reason(exc: BaseException) -> str:
    text = str(exc) or ("connection reset by peer" if isinstance(exc, httpx.ReadError) else exc.__class__.__name__)
    return text.splitlines()[0][:200]

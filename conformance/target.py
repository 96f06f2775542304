"""Where and how to call: the target, its credentials, and a caller with hard deadlines.

Every request runs under one overall deadline (asyncio.timeout around the whole
exchange), and bodies are capped, so a server that hangs, trickles, or streams
forever yields a failed exchange within a bounded time, never a stuck run.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, ContextManager, Coroutine, TypeVar
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
        return _send_once_more_if_broken(lambda timeout: self.run(self._call(request, timeout)), self.target, self.cost)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self.run(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _call(self, request: Request, timeout: float) -> Exchange:
        exchange = Exchange(request=request)
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                await self._receive(request, _headers(self.target, request), exchange, started)
        except (TimeoutError, httpx.HTTPError) as exc:
            exchange.failure = _failure(exc, exchange, self.target)
        exchange.elapsed_s = time.monotonic() - started
        return exchange

    async def _receive(self, request: Request, headers: dict[str, str], exchange: Exchange, started: float) -> None:
        url = self.target.base_url + request.path
        async with self._client.stream(request.method, url, content=request.body_bytes(), headers=headers) as response:
            recording = _Recording(exchange, response, started, self.max_body_bytes)
            try:
                async for chunk in response.aiter_bytes():
                    if not recording.feed(chunk):
                        break
            finally:
                recording.close()


class SyncCaller:
    """The caller's blocking twin, for code that must not run an asyncio loop (Locust's gevent users).

    It sends the same requests with the same headers and records the same
    exchanges (SSE events, timings, failures) through the same helpers. The
    overall deadline is `deadline(seconds)`, a context manager that raises
    TimeoutError when the time is up (under gevent: a gevent.Timeout turned
    into TimeoutError); without one, the time is checked as each chunk arrives
    and httpx's own timeouts bound a silent server.
    """

    def __init__(self, target: Target, max_body_bytes: int = MAX_BODY_BYTES,
                 deadline: Callable[[float], ContextManager[object]] | None = None) -> None:
        self.target = target
        self.max_body_bytes = max_body_bytes
        self.cost = Cost()
        self._deadline = deadline or (lambda seconds: contextlib.nullcontext())
        self._client = httpx.Client(
            timeout=httpx.Timeout(target.timeout_s, connect=min(10.0, target.timeout_s)),
            follow_redirects=False,
            headers={"User-Agent": "crun-conformance"},
        )

    def call(self, request: Request) -> Exchange:
        """Send one request; a kept-alive connection the server had already closed gets one fresh retry."""
        return _send_once_more_if_broken(lambda timeout: self._call(request, timeout), self.target, self.cost)

    def close(self) -> None:
        self._client.close()

    def _call(self, request: Request, timeout: float) -> Exchange:
        exchange = Exchange(request=request)
        started = time.monotonic()
        try:
            with self._deadline(timeout):
                self._receive(request, _headers(self.target, request), exchange, started, started + timeout)
        except (TimeoutError, httpx.HTTPError) as exc:
            exchange.failure = _failure(exc, exchange, self.target)
        exchange.elapsed_s = time.monotonic() - started
        return exchange

    def _receive(self, request: Request, headers: dict[str, str], exchange: Exchange, started: float,
                 deadline_at: float) -> None:
        url = self.target.base_url + request.path
        with self._client.stream(request.method, url, content=request.body_bytes(), headers=headers) as response:
            recording = _Recording(exchange, response, started, self.max_body_bytes)
            try:
                for chunk in response.iter_bytes():
                    if not recording.feed(chunk):
                        break
                    if time.monotonic() > deadline_at:
                        raise TimeoutError
            finally:
                recording.close()


def _send_once_more_if_broken(send: Callable[[float], Exchange], target: Target, cost: Cost) -> Exchange:
    """One send within the target's deadline, and one fresh retry when the connection broke before any response."""
    started = time.monotonic()
    exchange = send(target.timeout_s)
    remaining = target.timeout_s - (time.monotonic() - started)
    if exchange.status is None and (exchange.failure or "").startswith(BROKEN_BEFORE_RESPONSE) and remaining > 0:
        cost.add(1)
        exchange = send(remaining)
    cost.add_exchange(exchange)
    return exchange


def _headers(target: Target, request: Request) -> dict[str, str]:
    headers = target.auth_headers(request.auth)
    if request.content_type:
        headers["Content-Type"] = request.content_type
    if request.wants_stream:
        headers["Accept"] = "text/event-stream"
    return headers


def _failure(exc: BaseException, exchange: Exchange, target: Target) -> str:
    """What a failed exchange says about the deadline or transport error that ended it."""
    if isinstance(exc, TimeoutError):
        got = f"{len(exchange.body)} bytes" if exchange.status else "no response"
        return f"deadline of {target.timeout_s:g} s exceeded ({got} received so far)"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {target.base_url}: {_reason(exc)}"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        got = f"connection broken after {len(exchange.body)} body bytes" if exchange.status else BROKEN_BEFORE_RESPONSE
        return f"{got}: {_reason(exc)}"
    return f"transport error ({exc.__class__.__name__}): {_reason(exc)}"


class _Recording:
    """A response as it arrives, written into the exchange: status, headers, body, SSE events and their times."""

    def __init__(self, exchange: Exchange, response: httpx.Response, started: float, max_body_bytes: int) -> None:
        self.exchange, self.started, self.max_body_bytes = exchange, started, max_body_bytes
        exchange.status = response.status_code
        exchange.headers_s = time.monotonic() - started
        exchange.headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in SECRET_HEADERS}
        self.parser = SSEParser() if exchange.is_event_stream else None
        self.body = bytearray()
        if self.parser is not None:
            exchange.events, exchange.event_times = [], []

    def feed(self, chunk: bytes) -> bool:
        """Take one chunk; False when the body grew past its cap and reading must stop."""
        exchange = self.exchange
        self.body += chunk
        if self.parser is not None:
            new = self.parser.feed(chunk)
            if new:
                at = time.monotonic() - self.started
                if exchange.first_event_s is None:
                    exchange.first_event_s = at
                exchange.events.extend(new)
                exchange.event_times.extend([at] * len(new))
        if len(self.body) > self.max_body_bytes:
            exchange.failure = f"body exceeded {self.max_body_bytes // (1024 * 1024)} MiB; stopped reading"
            return False
        return True

    def close(self) -> None:
        self.exchange.body = bytes(self.body)
        if self.parser is not None:
            self.exchange.trailing = self.parser.trailing


def _reason(exc: BaseException) -> str:
    text = str(exc) or ("connection reset by peer" if isinstance(exc, httpx.ReadError) else exc.__class__.__name__)
    return text.splitlines()[0][:200]

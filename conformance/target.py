"""Where and how to call: the target, its credentials, and a caller with hard deadlines.

Every request runs under one overall deadline (asyncio.timeout around the whole
exchange), and bodies are capped, so a server that hangs, trickles, or streams
forever yields a failed exchange within a bounded time, never a stuck run.

Rate limits are handled here, once, for every path that sends: a 429 (or a 503
with Retry-After) is retried after Retry-After, at most `MAX_RETRIES` times and
never past the request's deadline, and a 429 halves the number of requests
allowed in flight (additive increase, multiplicative decrease). A target that
rate-limits every request it is sent is unusable: `TargetError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Coroutine, Iterator, TypeVar
from urllib.parse import urlsplit

import httpx

from .cost import Cost
from .exchange import SECRET_HEADERS, Exchange, Request
from .sse import SSEParser

DEFAULT_TIMEOUT_S = 20.0
MAX_BODY_BYTES = 8 * 1024 * 1024
WRONG_KEY = "crun-conformance-wrong-key-0000"
BROKEN_BEFORE_RESPONSE = "connection broken before a response"
MAX_RETRIES = 3
DEFAULT_RETRY_AFTER_S = 1.0
GIVE_UP_AFTER = 6  # requests in a row rate-limited past their retries, with none ever answered: the target is unusable
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


def retry_after(status: int | None, headers: dict[str, str]) -> float | None:
    """Seconds to wait before retrying a rate-limited answer, or None when the answer is not a rate limit.

    A 429 is always one (Retry-After, or 1 s without it); a 503 only when it says when to come back.
    """
    value = headers.get("retry-after")
    if status == 503 and value is None:
        return None
    if status not in (429, 503):
        return None
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER_S
    except ValueError:
        return DEFAULT_RETRY_AFTER_S  # an HTTP date or garbage: wait the default


class Limiter:
    """How many requests may be in flight: starts at `ceiling`, halves on a 429, grows back by one per window."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = float(self.ceiling)
        self.in_flight = 0
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self._cond:
            while self.in_flight >= max(1, int(self.limit)):
                self._cond.wait()
            self.in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def throttled(self) -> None:
        with self._cond:
            self.limit = max(1.0, self.limit / 2)

    def answered(self) -> None:
        with self._cond:
            self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)
            self._cond.notify_all()


class Caller:
    """Sends requests to a target from one background event loop and records raw exchanges.

    Thread-safe: the session calls it from several worker threads at once, and
    `limiter` bounds the requests in flight, SDK calls included (`slot()`).
    """

    def __init__(self, target: Target, max_body_bytes: int = MAX_BODY_BYTES, concurrency: int = 1) -> None:
        self.target = target
        self.max_body_bytes = max_body_bytes
        self.cost = Cost()
        self.limiter = Limiter(concurrency)
        self.in_flight = 0
        self._answered = 0
        self._limited_in_a_row = 0
        self._state = threading.Lock()
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
        """Send one request within its deadline, retrying rate limits; the exchange records the final answer."""
        return self.with_retries(lambda remaining: self._send_once(request, remaining), _rate_limit_of)

    def with_retries(self, send: Callable[[float], T], rate_limit_of: Callable[[T], float | None]) -> T:
        """Run `send(seconds left)` in a slot, retrying while `rate_limit_of(result)` says wait, within the deadline.

        Shared by every path that sends (cases, SDK calls): the policy lives here once.
        """
        deadline: float | None = None  # runs from the first send: waiting for a slot is not the server's time
        attempt = 0
        while True:
            if self.gave_up:
                raise TargetError(self.gave_up)
            with self.limiter.slot(), self._counting():
                if deadline is None:
                    deadline = time.monotonic() + self.target.timeout_s
                result = send(max(0.001, deadline - time.monotonic()))
            wait = rate_limit_of(result)
            if wait is None:
                self._note(limited=False)
                self.limiter.answered()
                return result
            self.limiter.throttled()
            if attempt >= MAX_RETRIES or time.monotonic() + wait >= deadline:
                self._note(limited=True)
                if isinstance(result, Exchange):
                    result.rate_limited = True
                return result
            attempt += 1
            self.cost.add(0, retries=1)
            time.sleep(wait)

    @property
    def gave_up(self) -> str | None:
        """Why the run stops sending, when every request so far stayed rate-limited."""
        if self._answered == 0 and self._limited_in_a_row >= GIVE_UP_AFTER:
            return (f"{self.target.base_url} rate-limited every request ({self._limited_in_a_row} in a row, each "
                    f"retried {MAX_RETRIES} times): lower --concurrency or try later")
        return None

    def _note(self, limited: bool) -> None:
        with self._state:
            if limited:
                self._limited_in_a_row += 1
            else:
                self._answered += 1
                self._limited_in_a_row = 0

    @contextlib.contextmanager
    def _counting(self) -> Iterator[None]:
        with self._state:
            self.in_flight += 1
        try:
            yield
        finally:
            with self._state:
                self.in_flight -= 1

    def _send_once(self, request: Request, remaining: float) -> Exchange:
        """One attempt; a kept-alive connection the server had already closed gets one fresh try."""
        started = time.monotonic()
        exchange = self.run(self._call(request, remaining))
        left = remaining - (time.monotonic() - started)
        if exchange.status is None and (exchange.failure or "").startswith(BROKEN_BEFORE_RESPONSE) and left > 0:
            self.cost.add(1)
            exchange = self.run(self._call(request, left))
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


def _rate_limit_of(exchange: Exchange) -> float | None:
    return retry_after(exchange.status, exchange.headers)


def _reason(exc: BaseException) -> str:
    text = str(exc) or ("connection reset by peer" if isinstance(exc, httpx.ReadError) else exc.__class__.__name__)
    return text.splitlines()[0][:200]

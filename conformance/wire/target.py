"""Where and how to call: the target, its credentials, and a caller with hard deadlines.

Every request runs under one overall deadline (asyncio.timeout around the whole
exchange), and bodies are capped, so a server that hangs, trickles, or streams
forever yields a failed exchange within a bounded time, never a stuck run.

Rate limits are handled here, once, for every path that sends: a 429 (or a 503
with Retry-After) is retried after Retry-After, at most `MAX_RETRIES` times and
never past the request's deadline. How many requests may be in flight is found,
not guessed (AIMD, `Limiter`): each upstream (a model) and the whole run have a
limit that starts where a fixed guess would (8, and 24 in all), doubles each
round of answers up to its cap until the first 429, 503 or connection error,
and from then on shrinks (x0.7, and to what is still in flight) on each and
grows back by one per window.
A target that rate-limits every request it is sent is unusable: `TargetError`.
A connection broken before any response is sent again once. Every such retry
is an attempt the plan did not count: each is counted in `cost.retries`, and a
run's retries never pass its bound (`Caller.retry_limit`), so plan + bound is a
hard limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Coroutine, Iterator, TypeVar
from urllib.parse import urlsplit

import httpx

from .cost import Cost
from .exchange import SECRET_HEADERS, Exchange, Request
from .sse import SSEParser
from .transport import Transport

DEFAULT_TIMEOUT_S = 20.0
MAX_BODY_BYTES = 8 * 1024 * 1024
WRONG_KEY = "crun-conformance-wrong-key-0000"
BROKEN_BEFORE_RESPONSE = "connection broken before a response"
MAX_RETRIES = 3
DEFAULT_RETRY_AFTER_S = 1.0
BACK_OFF = 0.7  # the share of its limit a limiter keeps on a sign of congestion (multiplicative decrease)
FIRST_WINDOW = 8  # where each upstream's limit starts (three times that in all), growing to its cap from there
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
    profile: str = "crun"
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TargetError(f"base URL must be an http(s) URL such as https://api.crun.ai/api/v1, got {self.base_url!r}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

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
    """How many requests may be in flight (AIMD): starts at `start` (default the cap) and grows by one per answer
    (doubling each round) up to the cap, until the first sign of congestion (a 429, a 503, a connection error);
    from then on it shrinks by `BACK_OFF` on each and grows back by one per window of answers.

    A burst of refusals from one overload shrinks the limit once, not once per refusal: a sign counts only from a
    request sent after the last shrink (TCP's rule: one decrease per window). Waiting threads are woken one at a
    time, in turn, so a hundred of them waiting cost nothing while they wait.
    """

    def __init__(self, ceiling: int, start: int | None = None) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = float(min(self.ceiling, max(1, start or self.ceiling)))
        self.in_flight = 0
        self.peak = 0  # the most in flight at once
        self.shrunk = 0  # how often it backed off: each shrink starts a new window
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def slot(self) -> Iterator[int]:
        """Hold one place while a request is in flight; yields the window it was sent in (for `throttled`)."""
        with self._cond:
            while self.in_flight >= max(1, int(self.limit)):
                self._cond.wait()
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            window = self.shrunk
        try:
            yield window
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify()

    def throttled(self, window: int | None = None) -> None:
        """A sign of congestion on a request sent in `window` (None: now), once its place is freed: shrink by
        `BACK_OFF`, once per window, and never above what is still in flight. The gateway refused this one while
        holding those, so it holds no more: a burst of refusals brings the limit down to what it took in one
        window, where halving would take a window per halving, each with its own burst of refusals."""
        with self._cond:
            if window is None or window == self.shrunk:
                self.limit *= BACK_OFF
                self.shrunk += 1
            self.limit = max(1.0, min(self.limit, float(self.in_flight)))

    def answered(self) -> None:
        with self._cond:
            before = int(self.limit)
            self.limit = min(float(self.ceiling), self.limit + (1 / self.limit if self.shrunk else 1))
            if int(self.limit) > before:
                self._cond.notify()


class Caller:
    """Sends requests to a target from one background event loop and records raw exchanges.

    Thread-safe: the session calls it from several worker threads at once. Each
    upstream (a model; None for requests that reach none) has its own
    limiter, SDK calls included, capped at `concurrency`: a 429 from one
    provider's models slows those models only. The whole run has one more,
    capped at `in_all`: the gateway's own limit, found the same way.
    """

    def __init__(self, target: Target, max_body_bytes: int = MAX_BODY_BYTES, concurrency: int = 1,
                 retry_limit: int | None = None, in_all: int | None = None) -> None:
        self.target = target
        self.max_body_bytes = max_body_bytes
        self.cost = Cost()
        self.concurrency = concurrency
        self.retry_limit = retry_limit  # retries all its requests together may make (None: no bound but per request)
        self._limiters: dict[str | None, Limiter] = {}
        self.overall = Limiter(in_all or concurrency, 3 * FIRST_WINDOW)
        self.in_flight = 0
        self._answered = 0
        self._limited_in_a_row = 0
        self._retried = 0
        self._state = threading.Lock()
        self._loop = _new_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="conformance-caller", daemon=True)
        self._thread.start()
        self._client = self.run(self._make_client())

    async def _make_client(self) -> httpx.AsyncClient:
        connect = min(10.0, self.target.timeout_s)
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.target.timeout_s, connect=connect),
            follow_redirects=False,
            headers={"User-Agent": "crun-conformance"},
            transport=Transport(connect),
        )

    def run(self, coro: Coroutine[object, object, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def limiter(self, upstream: str | None) -> Limiter:
        """The limiter of one upstream (a model), made on first use."""
        known = self._limiters.get(upstream)
        if known is not None:
            return known
        with self._state:
            if upstream not in self._limiters:
                self._limiters[upstream] = Limiter(self.concurrency, FIRST_WINDOW)
            return self._limiters[upstream]

    def limits(self) -> tuple[int, int | None]:
        """The limits found so far: the run's, and the lowest of the upstreams that backed off (None: none did)."""
        with self._state:
            shrunk = [int(limiter.limit) for limiter in self._limiters.values() if limiter.shrunk]
        return int(self.overall.limit), min(shrunk, default=None)

    def call(self, request: Request, upstream: str | None = None) -> Exchange:
        """Send one request within its deadline, retrying rate limits; the exchange records the final answer."""
        return self.with_retries(lambda remaining: self._send_once(request, remaining), _rate_limit_of, upstream,
                                 _congested)

    def with_retries(self, send: Callable[[float], T], rate_limit_of: Callable[[T], float | None],
                     upstream: str | None = None, congested: Callable[[T], bool] = lambda result: False) -> T:
        """Run `send(timeout)` in a slot, retrying while `rate_limit_of(result)` says wait.

        Each attempt has the whole deadline from the moment it is sent (waiting for a slot or for Retry-After is
        not the server's time); the waits together never pass one deadline, and there are at most MAX_RETRIES.
        A result still rate-limited after that is marked `rate_limited`: its checks are errors, not verdicts.
        A rate limit, or what `congested(result)` calls congestion, shrinks the limits the request was sent under;
        any other answer grows them. Shared by every path that sends (cases, SDK calls): the policy lives here once.
        """
        limiter = self.limiter(upstream)
        waited = 0.0
        attempt = 0
        while True:
            if self.gave_up:
                raise TargetError(self.gave_up)
            with limiter.slot() as window, self.overall.slot() as window_in_all, self._counting():
                result = send(self.target.timeout_s)
            wait = rate_limit_of(result)
            if wait is None and not congested(result):
                self._note(limited=False)
                limiter.answered()
                self.overall.answered()
                return result
            limiter.throttled(window)
            self.overall.throttled(window_in_all)
            if wait is None:  # congestion that is no rate limit (a 503 without Retry-After, a broken connection)
                self._note(limited=False)
                return result
            if attempt >= MAX_RETRIES or waited + wait > self.target.timeout_s or not self._may_retry():
                self._note(limited=True, retried=attempt)
                _mark_rate_limited(result)
                return result
            attempt += 1
            waited += wait
            time.sleep(wait)

    def _may_retry(self) -> bool:
        """Whether one more attempt fits the run's retry bound; counted in `cost.retries` when it does."""
        return self.cost.take_retry(self.retry_limit)

    def forget_answers(self) -> None:
        """Judge from here on whether the target rate-limits every request: a run's cases, not the GET /models
        that chose and checked its models (a gateway may limit generation and never its model list)."""
        with self._state:
            self._answered = 0

    @property
    def gave_up(self) -> str | None:
        """Why the run stops sending, when every request so far stayed rate-limited."""
        if self._answered == 0 and self._limited_in_a_row >= GIVE_UP_AFTER:
            how = (f"each retried up to {MAX_RETRIES} times" if self._retried else
                   "each asking a Retry-After longer than the deadline allows")
            return (f"{self.target.base_url} rate-limited every request ({self._limited_in_a_row} in a row, {how}): "
                    "lower --concurrency, raise --timeout or try later")
        return None

    def _note(self, limited: bool, retried: int = 0) -> None:
        with self._state:
            if limited:
                self._limited_in_a_row += 1
                self._retried += retried
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
        return _send_once_more_if_broken(lambda timeout: self.run(self._call(request, timeout)), remaining, self.cost,
                                         self._may_retry)

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


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (a dependency, but not on Windows): its loop costs less CPU per request."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


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
                 deadline: Callable[[float], ContextManager[object]] | None = None,
                 may_retry: Callable[[], bool] | None = None) -> None:
        self.target = target
        self.max_body_bytes = max_body_bytes
        self.cost = Cost()
        self._may_retry = may_retry or (lambda: True)  # whether a budget (load's --max-requests) allows one more
        self._deadline = deadline or (lambda seconds: contextlib.nullcontext())
        self._client = httpx.Client(
            timeout=httpx.Timeout(target.timeout_s, connect=min(10.0, target.timeout_s)),
            follow_redirects=False,
            headers={"User-Agent": "crun-conformance"},
        )

    def call(self, request: Request, upstream: str | None = None) -> Exchange:
        """Send one request; a kept-alive connection the server had already closed gets one fresh retry.

        `upstream` is the Caller's signature; under load every user sends one request at a time anyway."""
        return _send_once_more_if_broken(lambda timeout: self._call(request, timeout), self.target.timeout_s, self.cost,
                                         lambda: self._may_retry() and self.cost.take_retry(None))

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


def _send_once_more_if_broken(send: Callable[[float], Exchange], timeout: float, cost: Cost,
                              may_retry: Callable[[], bool]) -> Exchange:
    """One send within `timeout` seconds, and one fresh retry when the connection broke before any response and
    `may_retry()` allows it (it counts the retry): both attempts are counted as requests."""
    started = time.monotonic()
    exchange = send(timeout)
    remaining = timeout - (time.monotonic() - started)
    if (exchange.status is None and (exchange.failure or "").startswith(BROKEN_BEFORE_RESPONSE) and remaining > 0
            and may_retry()):
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
        return f"could not connect to {target.base_url}: {reason(exc)}"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        got = f"connection broken after {len(exchange.body)} body bytes" if exchange.status else BROKEN_BEFORE_RESPONSE
        return f"{got}: {reason(exc)}"
    return f"transport error ({exc.__class__.__name__}): {reason(exc)}"


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


def _mark_rate_limited(result: object) -> None:
    """Mark what stayed rate-limited (an exchange, or an SDK result) so the session judges nothing on it."""
    if hasattr(result, "rate_limited"):
        result.rate_limited = True  # type: ignore[attr-defined]


def _rate_limit_of(exchange: Exchange) -> float | None:
    return retry_after(exchange.status, exchange.headers)


def _congested(exchange: Exchange) -> bool:
    """A sign the target has more than it can serve: a 503 (with or without Retry-After), or no connection or
    answer at all (refused, reset, broken before a response). A deadline is not one: a slow answer is the server's
    own pace, which fewer requests in flight would not change."""
    failure = exchange.failure or ""
    return exchange.status == 503 or (exchange.status is None and (
        failure.startswith(BROKEN_BEFORE_RESPONSE) or failure.startswith("could not connect")))


def reason(exc: BaseException) -> str:
    """An exception in one short line: its message (its class when it has none), first line, 200 characters."""
    text = str(exc) or ("connection reset by peer" if isinstance(exc, httpx.ReadError) else exc.__class__.__name__)
    return text.splitlines()[0][:200]

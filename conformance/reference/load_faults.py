"""Faults that appear only under concurrency: the reference server counts what it is serving and misbehaves past a threshold.

A gateway can keep every promise one request at a time and break them when
busy. These faults let `crun-conformance load` show it catches that while
`certify` of the same server passes: the thresholds sit above a one-model
certify's concurrency (at its default, at most 48 requests in flight: 16 for
each of its three upstreams, the model, the /messages model and the gateway
itself), so only a load run (or a wide matrix) reaches them.
One ASGI middleware keeps the counts on `app.state.concurrency`; an endpoint
that misbehaves under load consults them (see `usage_dropped`). Each fault
fires on a count the server observes, never on how fast a client is.

With a load fault on, the middleware also paces stream events a few
milliseconds apart, as a real model does. The reference server otherwise
writes a whole stream at once, so streams would hardly ever overlap on
loopback however many clients there are; pacing breaks no promise.

`ReferenceConfig.hold_s` makes reaching a threshold deterministic, for tests:
the server holds what its fault counts (each POST, for the 503; each
stream at its start, for dropped usage) until the fault has fired once, at
most `hold_s` seconds. Enough concurrent clients then reach the threshold
however slow the machine is, and fewer never do: the bound releases them and
the counts (`Concurrency`) say how far they got. A request the 503 releases
was in flight when the count reached the threshold: it is answered 503 too.
The hold is off by default, and certify never uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable

from starlette.requests import Request

from .errors import is_anthropic
from .faults import LOAD_503_NO_RETRY_AFTER, LOAD_USAGE_DROPPED, Fault, switched_on
from .wire import json_response

USAGE_DROPPED_AT_OPEN_STREAMS = 56  # load_usage_dropped: chat streams drop usage while this many streams are open
NO_RETRY_AFTER_AT_IN_FLIGHT = 64  # load_503_no_retry_after: 503 without Retry-After from this many requests in flight
LOAD_FAULTS = frozenset({LOAD_USAGE_DROPPED, LOAD_503_NO_RETRY_AFTER})
PACE_S = 0.005  # between stream events, with a load fault on

Message = dict[str, Any]


@dataclass
class Concurrency:
    """What the server is serving right now, the most it served at once, and how often each load fault fired."""

    in_flight: int = 0
    open_streams: int = 0
    peak_in_flight: int = 0
    peak_open_streams: int = 0
    overloaded: int = 0  # 503s answered by load_503_no_retry_after
    usage_dropped: int = 0  # chat streams that left out their usage (load_usage_dropped)
    fired: asyncio.Event = field(default_factory=asyncio.Event)  # set once a load fault fired: ends the hold

    def fire(self) -> None:
        self.fired.set()

    async def hold(self, seconds: float) -> bool:
        """Wait until a load fault has fired, at most `seconds`; whether it has."""
        if seconds > 0 and not self.fired.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.fired.wait(), seconds)
        return self.fired.is_set()


class CountConcurrency:
    """ASGI middleware: counts requests in flight and open event streams; answers 503 past the threshold when asked to."""

    def __init__(self, app: Callable[..., Awaitable[None]], concurrency: Concurrency, faults: Iterable[Fault | str],
                 hold_s: float = 0.0) -> None:
        self.app = app
        self.concurrency = concurrency
        faults = switched_on(faults)  # names or constants, as ReferenceConfig takes them; an unknown name is refused
        self.overloads = LOAD_503_NO_RETRY_AFTER in faults
        self.holds_streams = LOAD_USAGE_DROPPED in faults and hold_s > 0
        self.hold_s = hold_s

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counts = self.concurrency
        counts.in_flight += 1
        counts.peak_in_flight = max(counts.peak_in_flight, counts.in_flight)
        streaming = False

        async def counting_send(message: Message) -> None:
            nonlocal streaming
            if message["type"] == "http.response.start" and not streaming:
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.startswith(b"text/event-stream"):
                    streaming = True
                    counts.open_streams += 1
                    counts.peak_open_streams = max(counts.peak_open_streams, counts.open_streams)
                    if self.holds_streams:
                        await counts.hold(self.hold_s)  # open, not yet answered: later streams see it open
            elif message["type"] == "http.response.body" and streaming:
                await asyncio.sleep(PACE_S)
            await send(message)

        try:
            overload = self.overloads and counts.in_flight >= NO_RETRY_AFTER_AT_IN_FLIGHT
            if overload:
                counts.fire()
            elif self.overloads and self.hold_s > 0 and scope["method"] == "POST":
                overload = await counts.hold(self.hold_s)  # released by the 503: the count was reached meanwhile
            if overload:
                counts.overloaded += 1
                await overloaded(scope["path"])(scope, receive, send)
            else:
                await self.app(scope, receive, counting_send)
        finally:
            counts.in_flight -= 1
            if streaming:
                counts.open_streams -= 1


def overloaded(path: str) -> Any:
    """`load_503_no_retry_after`: a 503 in the path's error format, without the Retry-After a client needs."""
    message = "The server is overloaded; try again later."
    if is_anthropic(path):
        body: dict = {"type": "error", "error": {"type": "overloaded_error", "message": message}}
    else:
        body = {"error": {"message": message, "type": "server_error", "param": None, "code": "overloaded"}}
    return json_response(body, 503)


def usage_dropped(request: Request) -> bool:
    """`load_usage_dropped`: whether a chat stream starting now leaves out its usage (too many streams open)."""
    state = request.app.state
    if LOAD_USAGE_DROPPED not in state.config.faults:
        return False
    counts: Concurrency = state.concurrency
    if counts.open_streams < USAGE_DROPPED_AT_OPEN_STREAMS:
        return False
    counts.usage_dropped += 1
    counts.fire()
    return True

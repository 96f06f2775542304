"""The raw exchange: what was asked and exactly what came back.

Checks are pure functions over these records, so the same check judges a live
call, a replayed cassette or a hand-made exchange in a unit test alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .sse import Event

_UNSET = object()
MASK = "***"
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "cookie", "set-cookie", "proxy-authorization"})


def mask(text: str, *secrets: str) -> str:
    """The text with every secret replaced by ***: what a report may show of anything a server sent."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


@dataclass(frozen=True)
class Request:
    """A request the suite sends; `auth` says which credential goes with it, never the key itself."""

    method: str
    path: str
    json_body: Any = None
    raw_body: bytes | None = None
    content_type: str | None = "application/json"
    auth: str = "bearer"  # bearer | x-api-key | none | wrong-bearer | wrong-x-api-key

    def body_bytes(self) -> bytes | None:
        if self.raw_body is not None:
            return self.raw_body
        if self.json_body is None:
            return None
        return json.dumps(self.json_body, separators=(",", ":"), sort_keys=True).encode()

    @property
    def wants_stream(self) -> bool:
        return isinstance(self.json_body, dict) and self.json_body.get("stream") is True


@dataclass
class Exchange:
    """One request and its response as observed on the wire, with timings and any transport failure."""

    request: Request
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    events: list[Event] | None = None
    trailing: bytes = b""
    failure: str | None = None
    elapsed_s: float = 0.0
    first_event_s: float | None = None
    rate_limited: bool = False  # still rate-limited after the caller's retries: nothing to judge
    headers_s: float | None = None  # when the status line and headers arrived: time to first byte
    event_times: list[float] | None = None  # when each event of `events` completed, seconds from the start
    _json: Any = field(default=_UNSET, repr=False)
    _json_error: str | None = field(default=None, repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_event_stream(self) -> bool:
        return self.content_type == "text/event-stream"

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON (see `json_error`)."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(self.body) if self.body else None
                if not self.body:
                    self._json_error = "empty body"
            except (ValueError, RecursionError) as exc:  # a hostile body nests deeper than Python parses
                self._json = None
                self._json_error = f"not JSON ({exc})"
        return self._json

    @property
    def json_error(self) -> str | None:
        self.json()
        return self._json_error

    def summary(self, limit: int = 600) -> str:
        """A short, key-free description of the exchange for a report: the body's start, and a long stream's end
        (where a stream mostly breaks its promises: no [DONE], no usage, an error in place of the last events)."""
        req = self.request
        line = f"{req.method} {req.path} (auth: {req.auth})"
        if self.failure:
            return f"{line} -> {self.failure}"
        body, size = self.body, len(self.body)
        if size <= limit:
            shown = body.decode("utf-8", errors="replace")
        elif self.is_event_stream:
            head, tail = body[: limit // 4], body[-(limit - limit // 4):]
            shown = (f"{head.decode('utf-8', errors='replace')}\n… ({size} bytes, {size - limit} not shown) …\n"
                     f"{tail.decode('utf-8', errors='replace')}")
        else:
            shown = f"{body[:limit].decode('utf-8', errors='replace')} … ({size} bytes)"
        return f"{line} -> {self.status} {self.content_type or '(no content-type)'}: {shown}"


class ReplayMismatch(Exception):
    """A replayed case asked for a request its cassette does not hold."""

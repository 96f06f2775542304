"""What an official SDK sent and received, kept as Exchanges: the evidence for SDK-* failures.

The SDKs send with httpx2 and parse on their own, so the suite cannot make
their requests through its caller. Instead each SDK client gets an httpx2
client whose transport passes everything through and keeps a copy: the
request line and body, the status, the headers (secret ones dropped), and
the body bytes as the SDK read them, parsed into events for a stream. The
key is masked wherever it shows up.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

import httpx2

from .exchange import MASK, SECRET_HEADERS, Exchange, Request
from .sse import parse
from .target import reason


@dataclass
class _Recording:
    """One request and what came back of it so far (the SDK may still be reading, or have given up)."""

    request: Request
    started: float
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    failure: str | None = None
    elapsed_s: float = 0.0


class _RecordedStream(httpx2.SyncByteStream):
    """The response body as the SDK reads it, each chunk copied into the recording on its way."""

    def __init__(self, inner: httpx2.SyncByteStream, recording: _Recording, lock: threading.Lock) -> None:
        self._inner, self._recording, self._lock = inner, recording, lock

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                with self._lock:
                    self._recording.body += chunk
                yield chunk
        except Exception as exc:
            self._recording.failure = f"connection broken after {len(self._recording.body)} body bytes: {reason(exc)}"
            raise

    def close(self) -> None:
        self._recording.elapsed_s = time.monotonic() - self._recording.started
        self._inner.close()


_TLS_LOCK = threading.Lock()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every SDK call of a process: making one loads the CA bundle, tens of milliseconds each
    time (a matrix makes six SDK calls per model, many at once: the lock lets one thread make it)."""
    with _TLS_LOCK:
        return _tls_once()


@functools.cache
def _tls_once() -> ssl.SSLContext:
    return httpx2.create_ssl_context()


class RecordingTransport(httpx2.BaseTransport):
    """An httpx2 transport that sends through `inner` and records every exchange, relative to `base_url`."""

    def __init__(self, base_url: str, secrets: tuple[str, ...] = (), inner: httpx2.BaseTransport | None = None) -> None:
        self._base_path = urlsplit(base_url).path.rstrip("/")
        self._secrets = tuple(s.encode() for s in secrets if s)
        self._inner = inner or httpx2.HTTPTransport(verify=_tls())
        self._lock = threading.Lock()
        self._recordings: list[_Recording] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        recording = _Recording(self._request(request), time.monotonic())
        with self._lock:
            self._recordings.append(recording)
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            recording.failure = f"transport error ({type(exc).__name__}): {reason(exc)}"
            raise
        recording.status = response.status_code
        recording.headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in SECRET_HEADERS}
        try:
            recording.body += response.content  # a response that came already read (a mock's)
        except httpx2.ResponseNotRead:
            response.stream = _RecordedStream(response.stream, recording, self._lock)
        return response

    def close(self) -> None:
        self._inner.close()

    def exchanges(self) -> list[Exchange]:
        """Every request made so far and what came back, as the suite's Exchanges (events parsed for a stream)."""
        with self._lock:
            return [self._exchange(r, self._masked(bytes(r.body))) for r in self._recordings]

    def _request(self, request: httpx2.Request) -> Request:
        path = request.url.path
        path = path[len(self._base_path):] if path.startswith(self._base_path) else path
        if request.url.query:
            path += "?" + request.url.query.decode("ascii", "replace")
        headers = {k.lower() for k in request.headers}
        auth = ", ".join(name for header, name in (("authorization", "bearer"), ("x-api-key", "x-api-key"))
                         if header in headers) or "none"
        body = self._masked(request.read()) if request.method != "GET" else None
        return Request(request.method, path, raw_body=body or None,
                       content_type=request.headers.get("content-type"), auth=auth)

    def _masked(self, data: bytes) -> bytes:
        for secret in self._secrets:
            data = data.replace(secret, MASK.encode())
        return data

    @staticmethod
    def _exchange(recording: _Recording, body: bytes) -> Exchange:
        exchange = Exchange(request=recording.request, status=recording.status, headers=dict(recording.headers),
                            body=body, failure=recording.failure, elapsed_s=recording.elapsed_s)
        if exchange.is_event_stream:
            exchange.events, exchange.trailing = parse(body)
        return exchange


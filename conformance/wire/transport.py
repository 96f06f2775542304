"""HTTP/1.1 for the caller: asyncio's own protocol, parsed by httptools (llhttp), behind httpx's client.

httpx stays the client: it builds the request (headers, `Accept-Encoding`),
decodes the body, keeps proxies from the environment and is what vcrpy
patches for cassettes. Only its transport is replaced. httpcore's pool checks
every connection on every request and anyio wraps every read; at a hundred
models, with a hundred connections open, that was most of certify's own CPU
per request (issue 26). Here a connection is an `asyncio.Protocol` fed by the
loop, a response is parsed in C, and an idle connection is taken from a list
in O(1).

Cassettes: vcrpy records and replays by patching httpx's own transport class.
While it is patched (a cassette is in use), requests go through httpx's
transport, so vcrpy sees every one of them.

Failures are httpx's exceptions, as the caller expects: `ConnectError`,
`ConnectTimeout`, `ReadError` (reset), `WriteError`, `RemoteProtocolError`
(garbage, or the server closed before it answered or mid-body). A connection
is reused only after a complete response the server allowed to be kept alive,
and dropped if the server closed it or sent anything while it was idle.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import AsyncIterator

import httptools
import httpx

_HTTPX_SENDS = httpx.AsyncHTTPTransport.handle_async_request  # as httpx defines it, before anyone patches it
PAUSE_AT_BYTES = 1024 * 1024  # stop reading the socket while this much of a body waits for the caller
DEFAULT_PORTS = {b"http": 80, b"https": 443}


class _Connection(asyncio.Protocol):
    """One connection: at most one response at a time, parsed as its bytes arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.error: BaseException | None = None
        self.response: _Response | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        response = self.response
        if response is None:  # bytes nobody asked for: the connection cannot be trusted with another request
            self.close()
            return
        response.feed(data)

    def eof_received(self) -> bool:
        self._lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(exc)

    def _lost(self, exc: BaseException | None) -> None:
        self.closed = True
        self.error = self.error or exc
        if self.response is not None:
            self.response.lost(exc)

    @property
    def reusable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class _Response:
    """httptools' callbacks for one response: status and headers once complete, then body chunks, then the end."""

    def __init__(self, connection: _Connection) -> None:
        self.connection = connection
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.status: int | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.complete = False
        self.failure: httpx.TransportError | None = None
        self.wake: asyncio.Future | None = None
        self.paused = False

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)

    def on_message_complete(self) -> None:
        self.complete = True

    def feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.failure = httpx.RemoteProtocolError(f"invalid HTTP response: {exc}")
            self.connection.close()
        if self.buffered > PAUSE_AT_BYTES and not self.paused and self.connection.transport is not None:
            self.paused = True
            self.connection.transport.pause_reading()
        self._wake()

    def lost(self, exc: BaseException | None) -> None:
        if self.complete or self.failure is not None:
            self._wake()
            return
        if self.status is None:
            self.failure = (httpx.ReadError(str(exc) or "connection reset by peer") if exc is not None else
                            httpx.RemoteProtocolError("Server disconnected without sending a response."))
        elif self._until_close():  # a body that ends when the connection does
            self.complete = True
        else:
            self.failure = (httpx.ReadError(str(exc) or "connection reset by peer") if exc is not None else
                            httpx.RemoteProtocolError("peer closed connection without sending complete message body"))
        self._wake()

    def _until_close(self) -> bool:
        names = {name.lower(): value for name, value in self.headers}
        return b"content-length" not in names and b"chunked" not in names.get(b"transfer-encoding", b"").lower()

    def _wake(self) -> None:
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    async def wait(self) -> None:
        """Until something new arrived (bytes, the end, a failure)."""
        self.wake = asyncio.get_running_loop().create_future()
        await self.wake

    def take(self) -> list[bytes]:
        chunks = list(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self.paused and self.connection.transport is not None and not self.connection.closed:
            self.paused = False
            self.connection.transport.resume_reading()
        return chunks


class _Body(httpx.AsyncByteStream):
    """The body as it arrives; at its end the connection goes back to the pool when it may be kept alive."""

    def __init__(self, transport: Transport, origin: tuple, connection: _Connection, response: _Response) -> None:
        self.transport, self.origin, self.connection, self.response = transport, origin, connection, response
        self.done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        response = self.response
        while True:
            for chunk in response.take():
                yield chunk
            if response.complete:
                break
            if response.failure is not None:
                raise response.failure
            await response.wait()
        self.done = True
        self._release()

    async def aclose(self) -> None:
        self._release()

    def _release(self) -> None:
        connection, response = self.connection, self.response
        if connection.response is not response:
            return  # already released
        connection.response = None
        if self.done and response.parser.should_keep_alive() and connection.reusable:
            self.transport.idle(self.origin, connection)
        else:
            connection.close()


class Transport(httpx.AsyncBaseTransport):
    """httpx's async transport, HTTP/1.1 only, with a pool of idle connections per origin."""

    def __init__(self, connect_timeout: float, tls: ssl.SSLContext | None = None) -> None:
        self.connect_timeout = connect_timeout
        self._tls = tls
        self._idle: dict[tuple, list[_Connection]] = {}
        self._patched: httpx.AsyncHTTPTransport | None = None  # httpx's transport, while a cassette patches it

    def idle(self, origin: tuple, connection: _Connection) -> None:
        self._idle.setdefault(origin, []).append(connection)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        return self._tls

    async def _connect(self, origin: tuple) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(
                    _Connection, host, port, ssl=self._tls_context() if scheme == b"https" else None,
                    server_hostname=host if scheme == b"https" else None)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {host}:{port} within {self.connect_timeout:g} s") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return connection

    def _checkout(self, origin: tuple) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.reusable:
                return connection
            connection.close()
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if httpx.AsyncHTTPTransport.handle_async_request is not _HTTPX_SENDS:  # a cassette is recording or replaying
            self._patched = self._patched or httpx.AsyncHTTPTransport()
            return await self._patched.handle_async_request(request)
        url = request.url
        scheme = url.raw_scheme
        origin = (scheme, url.host, url.port or DEFAULT_PORTS.get(scheme, 80))
        body = await request.aread()
        head = [request.method.encode() + b" " + url.raw_path + b" HTTP/1.1"]
        head += [name + b": " + value for name, value in request.headers.raw]
        data = b"\r\n".join(head) + b"\r\n\r\n" + body
        connection = self._checkout(origin) or await self._connect(origin)
        response = _Response(connection)
        connection.response = response
        try:
            assert connection.transport is not None
            connection.transport.write(data)
        except (OSError, RuntimeError) as exc:
            connection.close()
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc
        try:
            while response.status is None:
                if response.failure is not None:
                    raise response.failure
                if connection.closed and not response.complete:
                    response.lost(connection.error)
                    continue
                await response.wait()
        except BaseException:
            connection.response = None
            connection.close()
            raise
        return httpx.Response(response.status, headers=response.headers,
                              stream=_Body(self, origin, connection, response),
                              extensions={"http_version": b"HTTP/1.1"})

    async def aclose(self) -> None:
        if self._patched is not None:
            await self._patched.aclose()
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()

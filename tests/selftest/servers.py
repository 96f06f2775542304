"""Hostile raw servers: loopback TCP servers that misbehave below HTTP, where the reference server cannot.

Each answers every connection with one behaviour: accept and never answer,
start a stream and reset the connection in the middle of a chunk, or send
bytes that are not HTTP at all. `stop()` releases a handler that is holding a
connection, so a test never waits on its own server.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from typing import Callable, Self

Behaviour = Callable[[socket.socket, threading.Event], None]

STREAM_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def silent(conn: socket.socket, stopping: threading.Event) -> None:
    """Accept the request, then never answer and never close (until the server stops)."""
    stopping.wait()


def reset_mid_chunk(conn: socket.socket, stopping: threading.Event) -> None:
    """Start an event stream, announce a 64-byte chunk, send 12 bytes of it, then reset the connection (RST)."""
    conn.sendall(STREAM_HEAD + b"40\r\ndata: {\"id\":")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def not_http(conn: socket.socket, stopping: threading.Event) -> None:
    """Answer with bytes that are not an HTTP response, then close."""
    conn.sendall(b"\x00\xff\xfe garbage, not HTTP \x80\x81\r\n\r\n")


class RawServer:
    """A threaded TCP server on an ephemeral loopback port, serving `behaviour` to every connection."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.stopping = threading.Event()
        self.base_url: str | None = None
        self._server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> Self:
        behaviour, stopping = self.behaviour, self.stopping

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(5)
                try:
                    self.request.recv(65536)
                    behaviour(self.request, stopping)
                except OSError:
                    pass  # the client gave up first: nothing left to misbehave towards

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="hostile-raw-server", daemon=True).start()
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
        return self

    def stop(self) -> None:
        self.stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

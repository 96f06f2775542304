"""A hostile server cannot hang the caller: every exchange ends within its deadline with a readable failure."""

import socket
import socketserver
import subprocess
import sys
import threading
import time

import pytest

from conformance.wire.exchange import Request
from conformance.wire.target import Caller, SyncCaller, Target

DEADLINE = 1.0
HANG_S = 30.0  # how long a hostile server keeps its connection: a caller that ignored its deadline waits this long
MARGIN_S = 5.0  # past the deadline, for a loaded machine to give up, close and return; far below HANG_S


def _silent(conn: socket.socket) -> None:
    time.sleep(HANG_S)


def _stalled_stream(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                 b"14\r\ndata: {\"a\": 1}\n\n\r\n\r\n")
    time.sleep(HANG_S)


def _trickle(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
    for _ in range(int(HANG_S * 10)):
        conn.sendall(b"3\r\n: \n\r\n")
        time.sleep(0.1)


def _garbage(conn: socket.socket) -> None:
    conn.sendall(b"\x00\xffthis is not HTTP at all\r\n\r\n")


def _reset(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"id\": \"x")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


def _huge(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 20000000\r\n\r\n")
    block = b"x" * 65536
    try:
        for _ in range(310):
            conn.sendall(block)
    except OSError:
        pass


@pytest.fixture
def serve():
    servers = []

    def start(behaviour):
        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.recv(65536)
                behaviour(self.request)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("behaviour, says", [
    (_silent, "deadline of 1 s exceeded (no response"),
    (_stalled_stream, "deadline of 1 s exceeded"),
    (_trickle, "deadline of 1 s exceeded"),
    (_garbage, "connection broken"),
    (_reset, "connection broken"),
    (_huge, "body exceeded 8 MiB"),
])
def test_hostile_server_ends_within_the_deadline(serve, behaviour, says):
    x, took = call_hostile(Caller(Target(serve(behaviour), "k" * 16, timeout_s=DEADLINE)))
    assert x.failure and says in x.failure, x.failure
    assert took < DEADLINE + MARGIN_S, f"{took:.1f} s"
    assert "k" * 16 not in x.failure


def call_hostile(caller):
    """One streamed request through a caller (async or sync), and how long it took to give up."""
    try:
        started = time.monotonic()
        x = caller.call(Request("POST", "/chat/completions", {"stream": True}))
        return x, time.monotonic() - started
    finally:
        caller.close()


def test_unreachable_target_is_a_readable_failure():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    caller = Caller(Target(f"http://127.0.0.1:{port}/api/v1", "secret-key-123", timeout_s=DEADLINE))
    try:
        x = caller.call(Request("GET", "/models"))
    finally:
        caller.close()
    assert x.failure.startswith("could not connect to http://127.0.0.1:")
    assert "secret-key-123" not in x.failure


@pytest.mark.parametrize("behaviour, says", [
    (_silent, "transport error (ReadTimeout)"),
    (_stalled_stream, "transport error (ReadTimeout)"),
    (_trickle, "deadline of 1 s exceeded"),
    (_garbage, "connection broken"),
    (_reset, "connection broken"),
    (_huge, "body exceeded 8 MiB"),
])
def test_hostile_server_cannot_hang_the_sync_caller_without_a_deadline_hook(serve, behaviour, says):
    """Without gevent's deadline, a silent server is bounded by httpx's read timeout, a trickle by the clock."""
    x, took = call_hostile(SyncCaller(Target(serve(behaviour), "k" * 16, timeout_s=DEADLINE)))
    assert x.failure and says in x.failure, x.failure
    assert took < 2 * DEADLINE + MARGIN_S, f"{took:.1f} s"
    assert "k" * 16 not in x.failure


def test_under_gevent_the_sync_caller_keeps_the_overall_deadline(serve):
    """As load's users run it: Locust's gevent, and the deadline as a gevent.Timeout, in a process of its own."""
    url = serve(_stalled_stream)
    script = ("import locust, sys; from conformance.load.user import gevent_deadline; "
              "from conformance.wire.target import SyncCaller, Target; from conformance.wire.exchange import Request; "
              f"c = SyncCaller(Target({url!r}, 'k' * 16, timeout_s={DEADLINE}), deadline=gevent_deadline); "
              "print(c.call(Request('POST', '/chat/completions', {'stream': True})).failure)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith(f"deadline of {DEADLINE:g} s exceeded"), out.stdout + out.stderr

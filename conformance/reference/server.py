"""Running the reference server: in a background thread for tests and `certify`, or in the foreground for `serve`.

A self-test starts dozens of servers, so starting and stopping must take
milliseconds: uvicorn runs in a daemon thread on an ephemeral port (it installs
no signal handlers off the main thread), its main loop waits on an event that
`stop()` sets instead of polling `should_exit` every 100 ms, and its shutdown
polls for open connections every few milliseconds instead of first sleeping
100 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Self

import uvicorn

from .app import create_app
from .config import DEFAULT_CONFIG, ReferenceConfig
from .load_faults import Concurrency

START_TIMEOUT_S = 10.0

ASGIApp = Callable[..., Any]
# Wraps the reference app in another ASGI app, e.g. a test's switch that counts requests or breaks one behaviour.
Wrapper = Callable[[ASGIApp], ASGIApp]


def uvicorn_config(config: ReferenceConfig, host: str, port: int, wrap: Wrapper | None = None,
                   app: ASGIApp | None = None) -> uvicorn.Config:
    """uvicorn as the reference server runs it: quiet, no lifespan, no websockets, fastest parser and loop available."""
    app = create_app(config) if app is None else app
    return uvicorn.Config(app if wrap is None else wrap(app), host=host, port=port, log_level="warning",
                          access_log=False, lifespan="off", ws="none", timeout_graceful_shutdown=1)


def url(host: str, port: int, config: ReferenceConfig) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{config.prefix.rstrip('/')}"


class _Server(uvicorn.Server):
    """uvicorn's server that reports its port once listening, and wakes as soon as it is told to exit."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    def __init__(self, config: uvicorn.Config, on_started: Callable[[int], None] | None = None) -> None:
        super().__init__(config)
        self.on_started = on_started

    @property
    def port(self) -> int:
        return self.servers[0].sockets[0].getsockname()[1]

    async def startup(self, sockets: list | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_started is not None:
            self.on_started(self.port)

    def handle_exit(self, sig: int, frame: object) -> None:
        super().handle_exit(sig, frame)
        self.exit_soon()

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        ticks = 0
        while not await self.on_tick(ticks):
            ticks += 10  # on_tick refreshes the Date header every 10th tick; we tick once a second
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)

    async def shutdown(self, sockets: list | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.timeout_graceful_shutdown
        while (self.server_state.connections or self.server_state.tasks) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel()
        for server in self.servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 0.5)

    def exit_soon(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(wake.set)


class ReferenceServer:
    """The reference server on a loopback port, in a background thread; a context manager.

    `wrap`, when given, receives the reference app and returns the app actually
    served: tests put a switch around the reference this way (count requests,
    hang, accept a wrong key) and still start it here, never with a second server.
    """

    def __init__(self, config: ReferenceConfig = DEFAULT_CONFIG, host: str = "127.0.0.1", port: int = 0,
                 wrap: Wrapper | None = None) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.wrap = wrap
        self.base_url: str | None = None
        self.concurrency: Concurrency | None = None  # what the server counted: in flight, streams open, load faults
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._server is not None:
            return self
        app = create_app(self.config)
        self.concurrency = app.state.concurrency
        server = _Server(uvicorn_config(self.config, self.host, self.port, self.wrap, app))
        thread = threading.Thread(target=server.run, name="crun-reference-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.exit_soon()
                raise RuntimeError(f"the reference server did not start on {self.host}:{self.port}")
            time.sleep(0.001)
        self._server, self._thread = server, thread
        self.port = server.port
        self.base_url = url(self.host, self.port, self.config)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.exit_soon()
        thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ReferenceServer({self.base_url or 'not started'})"


def serve(host: str, port: int, config: ReferenceConfig = DEFAULT_CONFIG, key_shown: str | None = None) -> None:
    """Serve in the foreground until Ctrl-C (or SIGTERM), then exit cleanly, without a traceback.

    The port is bound before uvicorn starts, so a port in use is an OSError here (the caller says so in one line),
    not uvicorn's log and exit. One line is printed once the server listens and handles signals, so a client (or a
    Ctrl-C) that follows it is always served: the URL, the key it expects (`key_shown` instead, e.g. where the key
    came from), and the faults switched on.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    faults = ", ".join(config.faults.names) or "none"

    def announce(bound: int) -> None:
        print(f"CRUN reference server listening on {url(host, bound, config)} with key {key_shown or config.api_key}; "
              f"faults: {faults}", flush=True)

    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it handled, after shutting down
        _Server(uvicorn_config(config, host, port), on_started=announce).run(sockets=[sock])

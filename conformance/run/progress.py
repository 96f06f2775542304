"""Progress a person can read during a live run: cases done, requests in flight and the limit found, retries, time,
failures so far.

On a terminal, one line that updates in place (rich draws it); in a CI log, a
plain line every few seconds; with `-q`, nothing. It writes to stderr, so the
report on stdout stays clean.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

from .session import Progress

if TYPE_CHECKING:
    from ..outcomes.outcome import Outcome
    from .plan import Unit
    from .session import ConformanceSession

PLAIN_EVERY_S = 5.0
LIVE_EVERY_S = 0.25


class RunProgress(Progress):
    """Counts what finished; a background thread renders the line."""

    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.session: ConformanceSession | None = None
        self.total = self.finished = self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live = None

    def start(self, session: ConformanceSession, units: int) -> None:
        self.session, self.total, self.started = session, units, time.monotonic()
        if self.interactive:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self.line(), console=Console(file=self.stream), auto_refresh=False, transient=True)
            self._live.start()
        self._thread = threading.Thread(target=self._tick, name="conformance-progress", daemon=True)
        self._thread.start()

    def done(self, unit: Unit, outcomes: list[Outcome]) -> None:
        self.finished += 1
        self.failures += sum(o.failing for o in outcomes)

    def line(self) -> str:
        session = self.session
        in_flight = session.caller.in_flight if session else 0
        in_all, per_model = session.caller.limits() if session else (0, None)
        limit = f"limit {in_all}" + (f", {per_model} per model" if per_model is not None else "")
        retries = session.caller.cost.retries if session else 0
        elapsed = time.monotonic() - (session.started if session else time.monotonic())
        return (f"cases {self.finished}/{self.total} · {in_flight} in flight ({limit}) · {retries} retries · "
                f"{elapsed:.1f} s · {self.failures} failures so far")

    def _tick(self) -> None:
        every = LIVE_EVERY_S if self.interactive else PLAIN_EVERY_S
        while not self._stop.wait(every):
            if self._live is not None:
                self._live.update(self.line(), refresh=True)
            else:
                print(f"crun-conformance: {self.line()}", file=self.stream, flush=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        if self._live is not None:
            self._live.stop()
            self._live = None

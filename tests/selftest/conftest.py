"""The self-test's machinery: certify a server in-process, under a watchdog, and keep the mutation table.

Every run goes through `conformance.cli.main(["certify", ...])`, the code path
an operator uses. A watchdog stops the server under test when a run overruns
its bound, so a hang in the suite shows up as a failed test, never as a stuck
session. The mutation table (each broken server, what it must fail, what
failed, killed or not) is printed at the end, and the session fails when a
broken server survives.
"""

from __future__ import annotations

import gc
import io
import json
import tempfile
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest

from conformance.catalogue.requirements import LEVELS, PROFILES
from conformance.cli import main
from conformance.outcomes.verdict import FAILING
from conformance.reference import ReferenceConfig, ReferenceServer

from .expectations import judged

KEY = "sk-selftest-0123456789abcdef"
MODEL, MESSAGES_MODEL = "gpt-5.4", "claude-sonnet-4-5"
# certify's --timeout for controls and broken servers: its own default. None of them is about time; they answer at
# once, but a loaded machine can take seconds over one answer, and a slow correct answer is no failure.
TIMEOUT_S = 20.0
WATCHDOG_S = 60.0  # a broken server's run takes seconds; past this it is a hang
ROWS = pytest.StashKey[list["Row"]]()
HOSTILE_ROWS = pytest.StashKey[list["HostileRow"]]()


@dataclass
class Run:
    """One certify run: its exit code, wall time, what it printed, its JSON report, and whether it overran."""

    code: int
    wall_s: float
    out: str
    err: str
    report: dict | None
    overran: bool

    @property
    def checks(self) -> list[dict]:
        return (self.report or {}).get("checks", [])

    def ids(self, outcome: str, reason: str = "") -> frozenset[str]:
        return frozenset(c["id"] for c in self.checks if c["outcome"] == outcome and c["actual"].startswith(reason))

    @property
    def failed(self) -> frozenset[str]:
        return self.ids("failed")

    @property
    def errors(self) -> frozenset[str]:
        return self.ids("error")

    @property
    def unsupported(self) -> frozenset[str]:
        return self.ids("skipped", "not supported")

    def findings(self, ids: Iterable[str]) -> str:
        """The failures and errors of these requirements as the report states them, one per line."""
        wanted = set(ids)
        return "\n".join(f"  {c['id']} {c['outcome']} ({c['case']}): expected {c['expected'] or '-'}; got {c['actual']}"
                         for c in self.checks if c["id"] in wanted and c["outcome"] in FAILING)


def certify(base_url: str, *, stop: Callable[[], None], profile: str = "crun", timeout_s: float = TIMEOUT_S,
            models: bool = True, bound_s: float = WATCHDOG_S, matrix: bool = False,
            model: tuple[str, str] = (MODEL, MESSAGES_MODEL), strict: bool = False) -> Run:
    """Run `crun-conformance certify` in-process against `base_url`; `stop` is called if the run passes `bound_s`.

    `models` names the two models of a one-model run (`model`: the one, and the one for /messages; else they are
    discovered); `matrix` certifies every model the server lists instead."""
    overran = threading.Event()

    def overrun() -> None:
        overran.set()
        stop()

    watchdog = threading.Timer(bound_s, overrun)
    watchdog.daemon = True
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory(prefix="selftest-") as tmp:
        path = Path(tmp, "report.json")
        argv = ["certify", "--base-url", base_url, "--api-key", KEY, "--profile", profile,
                "--timeout", f"{timeout_s:g}", "-q", "--report-json", str(path)]
        if matrix:
            argv += ["--models", "all"]
        elif models:
            argv += ["--model", model[0], "--messages-model", model[1]]
        if strict:
            argv.append("--strict")
        started = time.monotonic()
        watchdog.start()
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = main(argv)
        finally:
            watchdog.cancel()
            wall = time.monotonic() - started
        report = json.loads(path.read_text()) if path.is_file() else None
    return Run(code, wall, out.getvalue(), err.getvalue(), report, overran.is_set())


class Runs:
    """Certify runs against the reference server with faults, made once per (faults, profile, models, strictness)
    and shared."""

    def __init__(self) -> None:
        self._runs: dict[tuple[frozenset[str], str, bool, tuple[str, str], bool], Run] = {}

    def of(self, faults: Iterable[str] = (), profile: str = "crun", matrix: bool = False,
           model: tuple[str, str] = (MODEL, MESSAGES_MODEL), strict: bool = False) -> Run:
        key = (frozenset(faults), profile, matrix, model, strict)
        if key not in self._runs:
            with ReferenceServer(ReferenceConfig(api_key=KEY, faults=key[0])) as server:
                self._runs[key] = certify(server.base_url, stop=server.stop, profile=profile, matrix=matrix,
                                          model=model, strict=strict)
        return self._runs[key]


@pytest.fixture(scope="package", autouse=True)
def runs() -> Iterator[Runs]:
    """The shared runs, starting with the reference server's; then the heap is frozen for the rest.

    Each certify run ends with pytest's full garbage collections (its
    unraisable-exception plugin). Once a first run has imported what runs
    import (the SDKs, the contract's validators), freezing the heap keeps those
    collections to each run's own objects: it halves a run's wall time.
    """
    shared = Runs()
    shared.of()
    gc.collect()
    gc.freeze()
    yield shared
    gc.unfreeze()


# The tables ------------------------------------------------------------------------------------------------------

def brief(ids: Iterable[str]) -> str:
    """Requirement IDs, sorted, consecutive numbers folded: `CHAT-STREAM-001..004 SDK-002`."""
    numbered: dict[str, list[int]] = {}
    for rid in ids:
        prefix, _, number = rid.rpartition("-")
        numbered.setdefault(prefix, []).append(int(number))
    parts = []
    for prefix, numbers in sorted(numbered.items()):
        numbers.sort()
        start = previous = numbers[0]
        for n in numbers[1:] + [None]:
            if n is not None and n == previous + 1:
                previous = n
                continue
            parts.append(f"{prefix}-{start:03d}" + (f"..{previous:03d}" if previous > start + 1 else
                                                    f" {prefix}-{previous:03d}" if previous == start + 1 else ""))
            if n is not None:
                start = previous = n
    return " ".join(parts) or "-"


@dataclass
class Row:
    """A broken server in the mutation table; with nothing expected to fail it is a control that must pass."""

    server: str
    profile: str
    expected: frozenset[str]
    failed: frozenset[str]
    errors: frozenset[str] = field(default_factory=frozenset)
    expected_unsupported: frozenset[str] = field(default_factory=frozenset)
    unsupported: frozenset[str] = field(default_factory=frozenset)

    @property
    def control(self) -> bool:
        return not self.expected

    @property
    def killed(self) -> bool:
        """The suite caught the fault: every requirement it breaks was reported against it (failed, or error)."""
        return self.expected <= self.failed | self.errors

    @property
    def exact(self) -> bool:
        """Nothing else failed, no check broke, and exactly the expected capabilities were declined."""
        return self.failed == self.expected and not self.errors and self.unsupported == self.expected_unsupported


@dataclass
class HostileRow:
    """A hostile server's run: how long it took against its bound, its exit code, how many checks failed."""

    server: str
    wall_s: float
    bound_s: float
    code: int
    failed: int
    ok: bool


@pytest.fixture
def mutation_table(pytestconfig: pytest.Config) -> list[Row]:
    return pytestconfig.stash.setdefault(ROWS, [])


@pytest.fixture
def hostile_table(pytestconfig: pytest.Config) -> list[HostileRow]:
    return pytestconfig.stash.setdefault(HOSTILE_ROWS, [])


def _mutants(config: pytest.Config) -> list[Row]:
    return [row for row in config.stash.get(ROWS, []) if not row.control]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    rows, hostile = config.stash.get(ROWS, []), config.stash.get(HOSTILE_ROWS, [])
    write = terminalreporter.write_line
    if rows:
        terminalreporter.section("crun-conformance self-test: mutation table")
        width = max(len(r.server) for r in rows)
        write(f"{'server':<{width}}  {'profile':<7}  {'expected to fail':<40}  {'failed':<40}  killed  exact")
        for r in rows:
            expected = brief(r.expected) + (f" (declines {brief(r.expected_unsupported)})"
                                            if r.expected_unsupported else "")
            failed = (brief(r.failed) + (f" error: {brief(r.errors)}" if r.errors else "")
                      + (f" (declines {brief(r.unsupported)})" if r.unsupported else ""))
            killed = "n/a" if r.control else "yes" if r.killed else "NO"
            exact = "yes" if r.exact else "NO"
            write(f"{r.server:<{width}}  {r.profile:<7}  {expected:<40}  {failed:<40}  {killed:<6}  {exact}")
        mutants = _mutants(config)
        killed = sum(r.killed for r in mutants)
        score = 100 * killed / len(mutants) if mutants else 100.0
        controls = [r for r in rows if r.control]
        write(f"mutation score: {killed}/{len(mutants)} broken servers killed ({score:.0f}%); "
              f"{sum(r.exact for r in controls)}/{len(controls)} controls passed; "
              f"{sum(r.exact for r in rows)}/{len(rows)} rows exact")
        if killed < len(mutants):
            write("self-test FAILED: a broken server survived the suite (mutation score below 100%)", red=True)
        covered = frozenset().union(*(r.expected & r.failed for r in rows))
        write("coverage in this run (requirements some broken server failed as expected):")
        for profile in PROFILES:
            for level in LEVELS:
                asked = {r.id for r in judged(profile) if r.level(profile) == level}
                missing = f"; not covered: {brief(asked - covered)}" if asked - covered else ""
                write(f"  {profile:<6} {level:<6} {len(asked & covered):>2}/{len(asked):<2} {brief(asked & covered)}"
                      f"{missing}")
    if hostile:
        terminalreporter.section("crun-conformance self-test: hostile servers")
        width = max(len(h.server) for h in hostile)
        write(f"{'server':<{width}}  {'wall s':>6}  {'bound s':>7}  exit  failed  verdict")
        for h in hostile:
            verdict = "ok" if h.ok else "FAILED"
            write(f"{h.server:<{width}}  {h.wall_s:6.1f}  {h.bound_s:7.1f}  {h.code:>4}  {h.failed:>6}  {verdict}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The session-level assertion: a broken server that survives fails the run, whatever else passed."""
    mutants = _mutants(session.config)
    if any(not r.killed for r in mutants) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def one_line(text: str) -> bool:
    """Readable: a single line without a traceback."""
    return "\n" not in text.strip() and "Traceback" not in text


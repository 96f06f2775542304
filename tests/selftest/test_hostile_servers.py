"""No hang, no crash: hostile servers end a certification within the deadline bound, with readable failures.

Hostile behaviour that HTTP can carry is a fault of the reference server that
touches only some answers (streams, GET /models, JSON bodies), so the rest
of the suite still runs and must still pass. What HTTP cannot carry (a peer
that never answers, a reset in the middle of a chunk, bytes that are not HTTP)
comes from a raw socket server. Each run is bounded by the deadline times the
requests that can run into it, plus a full run's worth of slack: a bound, not
a benchmark. The deadline is short only where the server is about time (it
stalls, trickles or never answers), so that a hang would show and a stalled
request costs little; the other hostile servers get certify's own deadline,
since what they break is the bytes, and a slow answer on a loaded machine must
not turn into a deadline failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reference.faults import FAULTS
from conformance.suite.cases import CASES

from . import servers
from .conftest import KEY, HostileRow, Run, brief, certify, judged, one_line
from .conftest import TIMEOUT_S as GENEROUS_TIMEOUT_S

# certify's --timeout against servers that stall: short, so each stalled request costs little, yet every answer the
# same run does get (a whole case took at most 1.5 s under `stress-ng --cpu 2`, warm) comes well within it.
STALL_TIMEOUT_S = 5.0
SILENT_TIMEOUT_S = 1.0  # against the server that never answers: its one request is the one that runs into it
FULL_RUN_S = 30.0  # a full certification takes 1-3 s quiet and up to 15 s under load; the rest is slack
SLACK = 2.0
STREAM_REQUESTS = 10  # 6 streamed cases and 4 SDK streams
EVERYTHING = frozenset(r.id for r in judged("crun"))


@dataclass(frozen=True)
class Hostile:
    """A hostile server: a reference fault or a raw behaviour, what must fail, and what the failures say."""

    name: str
    fails: frozenset[str]
    says: str
    slow: int = 0  # requests that can each run into the deadline
    raw: servers.Behaviour | None = None

    @property
    def timeout_s(self) -> float:
        """Short where the server is about time; certify's own deadline where it breaks the bytes."""
        return STALL_TIMEOUT_S if self.slow else GENEROUS_TIMEOUT_S

    @property
    def bound_s(self) -> float:
        return FULL_RUN_S + SLACK * self.timeout_s * self.slow


def declared(fault: str) -> frozenset[str]:
    """What a hostile fault breaks, as it declares it, among what the crun profile judges."""
    return FAULTS[fault].breaks_in(CASES) & EVERYTHING


# What each hostile server must fail is its fault's declaration; here only how its failures read and how slow it is.
SAYS = {
    "stream_stalls": (f"deadline of {STALL_TIMEOUT_S:g} s exceeded", STREAM_REQUESTS),
    "stream_endless": (f"deadline of {STALL_TIMEOUT_S:g} s exceeded", STREAM_REQUESTS),
    "sse_no_blank_lines": ("no complete event", 0),
    "chat_chunk_invalid_json": ("JSONDecodeError", 0),
    "json_garbage": ("not JSON", 0),
    "models_10mb": ("body exceeded 8 MiB", 0),
}
HOSTILE = (
    *(Hostile(name, declared(name), says, slow) for name, (says, slow) in SAYS.items()),
    Hostile("reset_mid_chunk", EVERYTHING - {"AUTH-005"}, "connection broken", raw=servers.reset_mid_chunk),
    Hostile("not_http", EVERYTHING - {"AUTH-005"}, "connection broken", raw=servers.not_http),
)


def _certify(hostile: Hostile) -> Run:
    if hostile.raw is not None:
        with servers.RawServer(hostile.raw) as raw:
            return certify(raw.base_url, stop=raw.stop, timeout_s=hostile.timeout_s, bound_s=hostile.bound_s)
    config = ReferenceConfig(api_key=KEY, faults=frozenset({hostile.name}))
    with ReferenceServer(config) as server:
        return certify(server.base_url, stop=server.stop, timeout_s=hostile.timeout_s, bound_s=hostile.bound_s)


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h.name)
def test_hostile_server_fails_its_checks_within_the_bound(hostile: Hostile, hostile_table: list[HostileRow]) -> None:
    run = _certify(hostile)
    readable = all(c["actual"] and one_line(c["actual"]) for c in run.checks if c["outcome"] == "failed")
    clean = "Traceback" not in run.out + run.err and KEY not in run.out + run.err + json.dumps(run.report)
    ok = (run.wall_s <= hostile.bound_s and run.code == 1 and run.failed == hostile.fails and not run.errors
          and readable and clean)
    hostile_table.append(HostileRow(hostile.name, run.wall_s, hostile.bound_s, run.code, len(run.failed), ok))
    assert not run.overran and run.wall_s <= hostile.bound_s, (
        f"{hostile.name}: {run.wall_s:.1f} s, over the bound of {hostile.bound_s:.0f} s "
        f"({hostile.slow} requests x {hostile.timeout_s:g} s deadline x {SLACK:g} + {FULL_RUN_S:g} s)"
        + ("; the watchdog had to stop the server" if run.overran else ""))
    assert run.report is not None and run.code == 1, f"exit {run.code}: {run.err.strip()}"
    assert run.errors == frozenset(), f"checks that could not run:\n{run.findings(run.errors)}"
    assert run.failed == hostile.fails, (f"did not fail: {brief(hostile.fails - run.failed)}; "
                                         f"failed too: {brief(run.failed - hostile.fails)}")
    assert readable, "a failure without a one-line reason:\n" + run.findings(run.failed)
    assert any(hostile.says in c["actual"] for c in run.checks if c["outcome"] == "failed"), run.findings(run.failed)
    assert clean, "a traceback or the key in the output"


def test_a_server_that_accepts_and_never_answers_is_unreachable_within_the_deadline(
        hostile_table: list[HostileRow]) -> None:
    """Without --model, certify first asks GET /models: a silent server is refused in one line, exit 2."""
    bound = FULL_RUN_S + SLACK * SILENT_TIMEOUT_S
    with servers.RawServer(servers.silent) as raw:
        run = certify(raw.base_url, stop=raw.stop, timeout_s=SILENT_TIMEOUT_S, models=False, bound_s=bound)
    hostile_table.append(HostileRow("silent (raw)", run.wall_s, bound, run.code, len(run.failed),
                                    run.code == 2 and run.wall_s <= bound))
    assert run.code == 2 and run.report is None
    assert run.wall_s <= bound and not run.overran, f"{run.wall_s:.1f} s"
    message = run.err.strip()
    assert one_line(message) and "unreachable" in message and f"deadline of {SILENT_TIMEOUT_S:g} s" in message, message
    assert KEY not in run.out + run.err

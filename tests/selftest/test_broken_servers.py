"""Every check can fail: broken servers, each the reference server with one fault, fail exactly what they break.

Each broken server is certified in full, through the same code path as
`crun-conformance certify`, and the set of requirements that failed is
compared with the set expected, both ways: a missing ID is a check that could
not fail, an extra ID a check that fails for the wrong reason. Expected sets
come from each fault's own declaration in conformance/reference/faults.py
(what it breaks, under which profiles); where one broken property fails
several requirements, the fault's `why` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from conformance.reference.faults import FAULTS, Fault

from .conftest import KEY, Row, Runs, brief, judged
from .expectations import expected_exit, expected_failures


@dataclass(frozen=True)
class Mutant:
    """A broken server under one profile, and what it must fail there: its fault's declaration, read for the profile."""

    fault: Fault | None
    profile: str = "crun"
    matrix: bool = False  # certified as a matrix of every model the server lists

    @property
    def name(self) -> str:
        return self.fault.name if self.fault else "reference"

    @property
    def label(self) -> str:
        return self.name + ("" if self.profile == "crun" else f"@{self.profile}") + (" (matrix)" if self.matrix else "")

    @property
    def fails(self) -> frozenset[str]:
        """What certify must fail: the requirements the fault breaks that this profile judges."""
        return expected_failures(self.fault, self.profile) if self.fault else frozenset()

    @property
    def unsupported(self) -> frozenset[str]:
        asked = {r.id for r in judged(self.profile)}
        return self.fault.declined & asked if self.fault else frozenset()

    @property
    def exit_code(self) -> int:
        """certify's verdict: 1 when a MUST of the profile is expected to fail, else 0."""
        return expected_exit(self.fails, self.profile)


MUTANTS: tuple[Mutant, ...] = (
    Mutant(None), Mutant(None, "openai"), Mutant(None, matrix=True),
    *(Mutant(fault, profile) for fault in FAULTS.values() if "certify" in fault.judged_by for profile in fault.profiles),
    *(Mutant(fault, profile, matrix=True) for fault in FAULTS.values() if "matrix" in fault.judged_by
      for profile in fault.profiles),
)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.label)
def test_broken_server_fails_exactly_what_it_breaks(mutant: Mutant, runs: Runs, mutation_table: list[Row]) -> None:
    run = runs.of({mutant.name} if mutant.fault else (), mutant.profile, mutant.matrix)
    mutation_table.append(Row(mutant.label, mutant.profile, mutant.fails, run.failed, run.errors,
                              mutant.unsupported, run.unsupported))
    assert run.report is not None, f"no report (exit {run.code}): {run.err.strip()}"
    assert not run.overran, f"the run overran its watchdog ({run.wall_s:.1f} s)"
    missing, extra = mutant.fails - run.failed, run.failed - mutant.fails
    fault = mutant.fault
    assert not (missing or extra or run.errors), (
        f"{mutant.label} ({fault.description if fault else 'no fault'}): expected {brief(mutant.fails)} to fail"
        + (f"\n did not fail: {brief(missing)}" if missing else "")
        + (f"\n failed too: {brief(extra)}\n{run.findings(extra)}" if extra else "")
        + (f"\n could not be judged (error): {brief(run.errors)}\n{run.findings(run.errors)}" if run.errors else "")
        + (f"\n why the expectation: {fault.why}" if fault and fault.why else ""))
    assert run.unsupported == mutant.unsupported, f"reported not supported: {brief(run.unsupported)}"
    assert run.code == mutant.exit_code, f"exit {run.code}, expected {mutant.exit_code}\n{run.err}"
    assert KEY not in json.dumps(run.report) + run.out + run.err, "the API key reached the report or the output"
    if fault and (fault.endpoints or fault.models):
        where = {(c["endpoint"], c.get("model")) for c in run.checks
                 if c["outcome"] == "failed" or c["actual"].startswith("not supported")}
        stray = {(e, m) for e, m in where if fault.endpoints and e not in fault.endpoints
                 or fault.models and m not in fault.models}
        assert not stray, f"findings outside the declared endpoints/models: {sorted(stray, key=str)}"

"""Coverage of the catalogue: every requirement is failed, for the reason expected, by at least one broken server.

A requirement counts as covered when a broken server was expected to fail it
and its check did fail there (an error is a check that could not run, not a
failure). Checks do not depend on the profile, which only chooses the checks
that run, so a failure seen under one profile covers the requirement in both.
The FUZZ-* requirements are judged only by `certify --fuzz`; tests/test_fuzz.py
breaks them with the faults named for the fuzzer.
The terminal summary lists what is covered at each level.
"""

from __future__ import annotations

import pytest

from conformance.catalogue.requirements import PROFILES
from conformance.reference.faults import FAULTS
from conformance.suite.cases import CASES

from .conftest import Runs, brief, judged
from .test_broken_servers import MUTANTS
from .test_hostile_servers import HOSTILE


@pytest.fixture(scope="module")
def covered(runs: Runs) -> frozenset[str]:
    """The requirements some broken server failed as expected."""
    found: set[str] = set()
    for mutant in MUTANTS:
        if mutant.fails:
            found |= mutant.fails & runs.of({mutant.name}, mutant.profile, mutant.matrix).failed
    return frozenset(found)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_must_requirement_is_failed_by_a_broken_server(profile: str, covered: frozenset[str]) -> None:
    musts = {r.id for r in judged(profile) if r.level(profile) == "MUST"}
    assert musts - covered == set(), f"MUSTs of {profile} no broken server fails: {brief(musts - covered)}"


@pytest.mark.parametrize("level", ("SHOULD", "MAY"))
def test_every_should_and_may_requirement_is_failed_too(level: str, covered: frozenset[str]) -> None:
    asked = {r.id for profile in PROFILES for r in judged(profile) if r.level(profile) == level}
    assert asked - covered == set(), f"{level}s no broken server fails: {brief(asked - covered)}"


def test_every_hostile_fault_is_exercised() -> None:
    hostile = {name for name, fault in FAULTS.items() if "hostile" in fault.judged_by}
    assert hostile == {h.name for h in HOSTILE if h.raw is None}, "hostile faults without a bound in the hostile test"


def test_every_fault_declares_a_self_test_that_judges_it() -> None:
    judges = {"certify", "matrix", "hostile", "fuzz", "load"}
    for fault in FAULTS.values():
        assert fault.judged_by and set(fault.judged_by) <= judges, fault.name
        assert fault.breaks_in(CASES) or fault.declined, f"{fault.name} declares nothing it breaks"

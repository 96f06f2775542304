"""What certify must report against a broken server, read from its fault's declaration: one rule, two readers.

The self-test certifies each broken server and requires exactly these
failures and this exit code (test_broken_servers.py); the promise inventory
proves a checked promise by naming a fault whose expected failures make this
exit code 1 (tests/test_promises.py). Both read it here, so a promise is
checked exactly when the self-test shows certify failing against its fault.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.catalogue.requirements import FUZZ_REQUIREMENTS, Requirement, for_profile, get
from conformance.reference.faults import Fault
from conformance.suite.cases import CASES


def judged(profile: str) -> list[Requirement]:
    """What certify judges in a profile with its own checks; FUZZ-* need --fuzz, and tests/test_fuzz.py breaks them."""
    return [r for r in for_profile(profile) if r not in FUZZ_REQUIREMENTS]


def expected_failures(fault: Fault, profile: str) -> frozenset[str]:
    """What certify must fail against the fault: the requirements it breaks that this profile judges."""
    return fault.breaks_in(CASES) & {r.id for r in judged(profile)}


def expected_exit(failing: Iterable[str], profile: str) -> int:
    """certify's verdict when these requirements fail: 1 when a MUST of the profile is among them, else 0."""
    return 1 if any(get(r).level(profile) == "MUST" for r in failing) else 0

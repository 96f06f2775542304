"""The verdict: the words for a check's outcome and a run's verdict, the rule from one to the other, the exit codes.

The one place the rule is written: a run (or a matrix column) fails when a
MUST check, or under --strict a SHOULD check, failed or could not run (error).
certify, the pytest plugin, load and every report read it from here, so they
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

# What one check of one requirement came to.
PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"
OUTCOMES = (PASSED, FAILED, SKIPPED, ERROR)
FAILING = frozenset({FAILED, ERROR})  # an error is a check that could not run: it counts as a failure
# Why a check was skipped, when it is one of the two kinds every report marks on its own: a capability declined
# with a proper error, or no evidence in the answer to judge by (the reason follows in `actual`, after the kind).
NOT_SUPPORTED, NOT_JUDGED = "not supported", "not judged"
SKIP_KINDS = (NOT_SUPPORTED, NOT_JUDGED)

# What a run (or one model's column of it) came to: certified, or failed.
CERTIFIED = "certified"
VERDICTS = (CERTIFIED, FAILED)

# Exit codes of every command: 0 certified (or, for a command that judges nothing, done), 1 failed (or regressed),
# 2 nothing could be judged (a usage error, an unusable target or input), 130 interrupted.
EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130


def counting_levels(strict: bool) -> tuple[str, ...]:
    """The levels whose failures fail a run: MUST, and SHOULD too under --strict."""
    return ("MUST", "SHOULD") if strict else ("MUST",)


def counts_against(level: str, outcome: str, strict: bool) -> bool:
    """Whether one check fails the run: a MUST (or, under strict, a SHOULD) that failed or errored."""
    return outcome in FAILING and level in counting_levels(strict)


def verdict_of(checks: Iterable[tuple[str, str]], strict: bool) -> str:
    """CERTIFIED or FAILED for these (level, outcome) pairs."""
    return FAILED if any(counts_against(level, outcome, strict) for level, outcome in checks) else CERTIFIED


def exit_code(verdict: str) -> int:
    """The exit code a verdict ends a command with."""
    return EXIT_FAILED if verdict == FAILED else EXIT_OK

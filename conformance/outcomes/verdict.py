"""The verdict: the words for a check's outcome and a run's verdict, the rule from one to the other, the exit codes.

The one place the rule is written: a run (or a matrix column) fails when a
MUST check, or under --strict a SHOULD check, failed or could not run (error);
else it is "not judged" when none of its checks could be judged, "partial"
when it left requirements of its profile out (-k, a subset), and certified
only when it judged the whole profile. certify, the pytest plugin, load and
every report read it from here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# What one check of one requirement came to.
PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"
OUTCOMES = (PASSED, FAILED, SKIPPED, ERROR)
FAILING = frozenset({FAILED, ERROR})  # an error is a check that could not run: it counts as a failure
# Why a check was skipped, when it is one of the two kinds every report marks on its own: a capability declined
# with a proper error, or no evidence in the answer to judge by (the reason follows in `actual`, after the kind).
NOT_SUPPORTED, NOT_JUDGED = "not supported", "not judged"
SKIP_KINDS = (NOT_SUPPORTED, NOT_JUDGED)

# What a run (or one model's column of it) came to, best first: certified (the whole profile judged, nothing
# failed), partial (nothing failed, but requirements of the profile were left out), not judged (no check could be
# judged: every one skipped, or none ran), failed.
CERTIFIED, PARTIAL = "certified", "partial"
VERDICTS = (CERTIFIED, PARTIAL, NOT_JUDGED, FAILED)

# Exit codes of every command: 0 nothing failed (certified, partial or not judged: the verdict's word says which; for
# a command that judges nothing, done), 1 failed (or regressed), 2 a usage error or an unusable target or input,
# 130 interrupted.
EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class Coverage:
    """How much of its profile a run checked: `checked` of the `requirements` a whole run checks.

    A run narrowed by -k (or, in pytest, by deselection) checks fewer: its verdict is at best PARTIAL, so a
    run of one requirement never reads as a certification of the profile."""

    checked: int
    requirements: int
    narrowed_by: str = ""  # what left the rest out, as the user said it (e.g. "-k AUTH-001")

    @property
    def partial(self) -> bool:
        return self.checked < self.requirements

    def text(self) -> str:
        """`1 of 100 requirements checked (-k AUTH-001)`."""
        return (f"{self.checked} of {self.requirements} requirements checked"
                + (f" ({self.narrowed_by})" if self.narrowed_by else ""))

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "requirements": self.requirements, "narrowed_by": self.narrowed_by}

    @classmethod
    def read(cls, value: object) -> Coverage | None:
        """A report's `coverage`, or None when it has none (a report older than it, or a load report)."""
        if not isinstance(value, dict):
            return None
        checked, requirements = value.get("checked"), value.get("requirements")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (checked, requirements)):
            return None
        return cls(checked, requirements, str(value.get("narrowed_by") or ""))


def counting_levels(strict: bool) -> tuple[str, ...]:
    """The levels whose failures fail a run: MUST, and SHOULD too under --strict."""
    return ("MUST", "SHOULD") if strict else ("MUST",)


def counts_against(level: str, outcome: str, strict: bool) -> bool:
    """Whether one check fails the run: a MUST (or, under strict, a SHOULD) that failed or errored."""
    return outcome in FAILING and level in counting_levels(strict)


def verdict_of(checks: Iterable[tuple[str, str]], strict: bool, coverage: Coverage | None = None,
               own: Iterable[str] | None = None) -> str:
    """The verdict of these (level, outcome) pairs: FAILED, NOT_JUDGED, PARTIAL or CERTIFIED.

    `coverage` says whether the run checked its whole profile (None: it did). `own` are the outcomes that say
    whether anything was judged, when not all of them do: a model's column is judged by its model's checks, not
    by the model-independent ones (GET /models, keys) it shares with every column.
    """
    checks = list(checks)
    if any(counts_against(level, outcome, strict) for level, outcome in checks):
        return FAILED
    if all(outcome == SKIPPED for outcome in (own if own is not None else (outcome for _, outcome in checks))):
        return NOT_JUDGED
    return PARTIAL if coverage is not None and coverage.partial else CERTIFIED


def model_verdict(checks: Iterable[tuple[str, str, str | None]], model: str | None, strict: bool,
                  coverage: Coverage | None = None) -> str:
    """One model's verdict (a matrix column) over (level, outcome, model) triples: its own checks and the
    model-independent ones (model None), which count for every model. It is "not judged" when it has checks of
    its own and none could be judged (a model every endpoint declined), whatever the shared ones came to."""
    mine = [(level, outcome, m) for level, outcome, m in checks if m is None or m == model]
    own = [outcome for _, outcome, m in mine if m is not None and m == model] or None
    return verdict_of(((level, outcome) for level, outcome, _ in mine), strict, coverage, own)


def run_verdict(checks: Iterable[tuple[str, str, str | None]], models: Iterable[str], strict: bool,
                coverage: Coverage | None = None) -> str:
    """A whole run's verdict: its models' verdicts combined (a run none of whose models was judged is not judged);
    a run without models is judged over all its checks."""
    checks, models = list(checks), list(models)
    if not models:
        return verdict_of(((level, outcome) for level, outcome, _ in checks), strict, coverage)
    return combined(model_verdict(checks, model, strict, coverage) for model in models)


def combined(verdicts: Iterable[str]) -> str:
    """The verdict of several columns (a matrix, merged reports): the worst, where not judged counts only when
    nothing at all was judged; no column: not judged."""
    found = set(verdicts)
    if FAILED in found:
        return FAILED
    if found <= {NOT_JUDGED}:
        return NOT_JUDGED
    return PARTIAL if PARTIAL in found else CERTIFIED


def verdict_words(verdict: str, coverage: Coverage | None = None) -> str:
    """A verdict as every report states it: `CERTIFIED`, `FAILED`, `NOT JUDGED: no check could be judged`, or
    `PARTIAL: 1 of 100 requirements checked (-k AUTH-001)`."""
    if verdict == PARTIAL and coverage is not None:
        return f"{PARTIAL.upper()}: {coverage.text()}"
    if verdict == NOT_JUDGED:
        return f"{NOT_JUDGED.upper()}: no check could be judged"
    return verdict.upper()


def exit_code(verdict: str) -> int:
    """The exit code a verdict ends a command with: 1 when it failed, else 0 (the verdict's word says how much it
    covers: a capability declined with a proper error, say, is not supported, which fails nothing)."""
    return EXIT_FAILED if verdict == FAILED else EXIT_OK

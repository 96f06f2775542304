"""What fuzzing found on one operation for one requirement: failures grouped into distinct classes, with evidence.

One smallest failing request hides the others: a server can fail with
different 5xx messages on different malformed inputs, or break the schema at
different paths. Failures are grouped the way schemathesis deduplicates them
(the check, the failure kind and its key: a status, a schema path, a missing
header...) plus the failure's title and, for a server error, the gist of the
error message it answered with (numbers and quoted values blanked, so one
message about different fields is one class). Each class keeps its count and
its smallest reproducing request (a curl command, key masked) with the answer.
A report shows at most MAX_CLASSES classes per requirement and endpoint and
counts the rest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..outcomes.verdict import ERROR, FAILED, PASSED, SKIPPED

MAX_CLASSES = 5
GIST_LENGTH = 120


@dataclass(frozen=True)
class Finding:
    """One failing answer: its class, what the check said, the request as curl and the answer, key masked."""

    check: str
    key: tuple[str, ...]
    description: str
    curl: str
    answer: str

    @property
    def size(self) -> int:
        return len(self.curl)


@dataclass
class FailureClass:
    """Failures alike: how many, and the smallest request that reproduces one."""

    smallest: Finding
    count: int = 1

    def add(self, finding: Finding) -> None:
        self.count += 1
        if finding.size < self.smallest.size:
            self.smallest = finding

    def violation(self) -> str:
        """A line for the report: what broke, by which check, how often; the smallest curl; the answer's status line."""
        found = self.smallest
        times = f", {self.count} responses" if self.count > 1 else ""
        status = found.answer.splitlines()[0] if found.answer else "no answer"
        return f"{found.description} (`{found.check}`{times})\n{found.curl}\n-> {status}"


@dataclass
class OperationTally:
    """What one requirement saw on one operation: responses judged, failure classes in order found, errors."""

    judged: int = 0
    failures: int = 0
    classes: dict[tuple[str, ...], FailureClass] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.failures += 1
        known = self.classes.get(finding.key)
        if known is None:
            self.classes[finding.key] = FailureClass(finding)
        else:
            known.add(finding)

    def ranked(self) -> list[FailureClass]:
        """The classes, the most frequent first (ties in the order found)."""
        return sorted(self.classes.values(), key=lambda kind: -kind.count)


@dataclass(frozen=True)
class Report:
    """A verdict as an Outcome's fields."""

    outcome: str
    actual: str
    exchange: str = ""
    violations: tuple[str, ...] = ()
    violations_more: int = 0


def report(verdict: OperationTally, nothing_judged: str) -> Report:
    """The outcome, the observed value, the smallest failing exchange and every failure class (capped)."""
    if verdict.classes:
        ranked = verdict.ranked()
        smallest = min((kind.smallest for kind in ranked), key=lambda found: found.size)
        checks = sorted({kind.smallest.check for kind in ranked})
        distinct = f"{len(ranked)} distinct failure{'s' if len(ranked) > 1 else ''}"
        actual = (f"{verdict.failures} failures in {verdict.judged} judged responses ({distinct}) of "
                  f"{', '.join(f'`{name}`' for name in checks)}; smallest: {smallest.description}")
        return Report(FAILED, actual, f"{smallest.curl}\n\n{smallest.answer}",
                      tuple(kind.violation() for kind in ranked[:MAX_CLASSES]), max(0, len(ranked) - MAX_CLASSES))
    if verdict.errors:
        return Report(ERROR, f"the check could not run: {verdict.errors[0]}")
    if verdict.judged == 0:
        return Report(SKIPPED, nothing_judged)
    return Report(PASSED, f"{verdict.judged} responses judged, none broke it")


def error_gist(body: bytes) -> tuple[str, str]:
    """The error message an answer carries, as shown (trimmed) and as a class key (numbers and quoted values blanked).

    Read from a JSON error body (`error.message`, `error` as text, `message`,
    `detail`), else the first line of the text; empty when there is none.
    """
    text = ""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        for value in (error.get("message") if isinstance(error, dict) else None, error, data.get("message"),
                      data.get("detail")):
            if isinstance(value, str) and value.strip():
                text = value
                break
    elif data is None:
        text = next((line for line in body.decode("utf-8", "replace").splitlines() if line.strip()), "")
    text = " ".join(text.split())
    key = re.sub(r"\d+(?:\.\d+)?", "N", re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "'…'", text))
    return text[:GIST_LENGTH], key[:GIST_LENGTH]

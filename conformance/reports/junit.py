"""JUnit XML: one test case per check, for CI systems that draw test results from it.

A failure's text is the h2spec-style verdict (requirement, expected, actual, every
violation, the exchange); a skip names its reason; an error says the check could not run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from ..outcomes.outcome import Outcome
from ..outcomes.verdict import CERTIFIED, ERROR, FAILED, SKIPPED

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """What a server sent, made writable in XML 1.0: control characters become U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def render(outcomes: list[Outcome], name: str = "crun-conformance", wall_s: float | None = None,
           verdict: str | None = None) -> bytes:
    """The suite's time is the run's wall time (`wall_s`; without it, the checks' times added up); `verdict`, the
    run's verdict in words, is a property of the suite and, when it is no certification, part of its name, where a
    CI page shows it (`crun-conformance (PARTIAL: 1 of 100 requirements checked)`)."""
    counts = Counter(o.outcome for o in outcomes)
    time_s = wall_s if wall_s is not None else sum(o.duration_s for o in outcomes)
    if verdict and not verdict.startswith((CERTIFIED.upper(), FAILED.upper())):
        name = f"{name} ({verdict})"
    suite = ET.Element("testsuite", name=name, tests=str(len(outcomes)), failures=str(counts[FAILED]),
                       errors=str(counts[ERROR]), skipped=str(counts[SKIPPED]), time=f"{time_s:.3f}")
    if verdict:
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="verdict", value=_text(verdict))
    for o in outcomes:
        label = f"{o.id}@{o.case}" + (f"[{o.model}]" if o.model else "")
        case = ET.SubElement(suite, "testcase", classname=o.endpoint, name=label, time=f"{o.duration_s:.3f}")
        if o.outcome == FAILED:
            text = [f"{o.id} [{o.level}] {o.statement}", f"expected: {o.expected}", f"actual: {o.actual}",
                    *(f"violation: {v}" for v in o.violations),
                    *([f"... and {o.violations_more} more"] if o.violations_more else []), o.exchange]
            ET.SubElement(case, "failure", message=_text(f"{o.id}: expected {o.expected}")).text = _text("\n".join(text))
        elif o.outcome == ERROR:
            ET.SubElement(case, "error", message=f"{o.id}: the check could not run").text = _text(o.actual)
        elif o.outcome == SKIPPED:
            ET.SubElement(case, "skipped", message=_text(o.actual), **({"type": o.skip_kind} if o.skip_kind else {}))
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write(outcomes: list[Outcome], path: str, wall_s: float | None = None, verdict: str | None = None) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(render(outcomes, wall_s=wall_s, verdict=verdict))

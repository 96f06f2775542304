"""Reading a JSON report written earlier, by this or an older version of the tool, for baselines and diffs.

Older reports lack `model`, `violations`, `models`, `summary_by_model` and
`certificate`; readers get them filled in (model None, no violations), so
the code that compares reports has one shape to handle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..outcomes.verdict import OUTCOMES, VERDICTS, verdict_of

Key = tuple[str, str | None, str | None, str | None]  # (id, endpoint, model, case)


class InputError(Exception):
    """A file the user named cannot be used: reported in one line (naming the file and line), exit code 2."""


def read_text(path: str | Path, what: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} {path}: no such file")
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {path}: cannot be read ({type(exc).__name__})") from None


def parse_report(text: str, where: str) -> dict:
    """A report from JSON text; `where` names it in errors (e.g. the path)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        raise InputError(f"{where}:1: not a crun-conformance report (no \"checks\" list)")
    for name in ("cost", "certificate", "summary", "summary_by_model", "target"):
        if name in data and not isinstance(data[name], dict):
            raise InputError(f"{where}: \"{name}\" is not an object")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (data.get("cost") or {}).values()):
        raise InputError(f"{where}: \"cost\" holds a value that is not a number")
    checks = []
    for index, check in enumerate(data["checks"]):
        if not isinstance(check, dict) or not isinstance(check.get("id"), str) or check.get("outcome") not in OUTCOMES:
            raise InputError(f"{where}: check #{index + 1} has no id or no valid outcome")
        wrong = [name for name, kinds in _CHECK_FIELDS.items() if name in check and not isinstance(check[name], kinds)]
        if wrong:
            raise InputError(f"{where}: check #{index + 1} ({check['id']}) has a malformed {', '.join(wrong)}")
        checks.append({"model": None, "violations": [], "endpoint": None, "case": None, "level": "-", **check})
    return {**data, "checks": checks}


# What each field of a check must be when present (a report from another tool version may lack some).
_CHECK_FIELDS: dict[str, tuple[type, ...]] = {
    "endpoint": (str, type(None)), "model": (str, type(None)), "case": (str, type(None)), "level": (str,),
    "statement": (str,), "source": (str,), "expected": (str,), "actual": (str,), "exchange": (str,),
    "violations": (list,), "violations_more": (int,), "duration_s": (int, float),
}


def load_report(path: str | Path, what: str = "report") -> dict:
    return parse_report(read_text(path, what), str(path))


def key(check: dict) -> Key:
    """The identity of a check: (id, endpoint, model, case)."""
    return (check["id"], check.get("endpoint"), check.get("model"), check.get("case"))


def describe(k: Key) -> str:
    """A key as a person reads it: `CHAT-STREAM-003 POST /chat/completions gpt-5.4 (chat_stream_default)`."""
    rid, endpoint, model, case = k
    return " ".join(part for part in (rid, endpoint, model) if part) + (f" ({case})" if case else "")


def report_verdict(report: dict) -> str:
    """The report's verdict, or the one its checks imply for reports older than the `verdict` field."""
    if report.get("verdict") in VERDICTS:
        return report["verdict"]
    return verdict_of(((c["level"], c["outcome"]) for c in report["checks"]), bool(report.get("strict")))


def duration_s(report: dict) -> float:
    """The run's duration: the certificate's, else the checks' durations added up (older reports)."""
    certificate: Any = report.get("certificate") or {}
    if isinstance(certificate.get("duration_s"), (int, float)):
        return float(certificate["duration_s"])
    return round(sum(float(c.get("duration_s") or 0) for c in report["checks"]), 3)


def check_writable(*paths: str | None) -> None:
    """Refuse, before anything is sent, a report path that cannot be written: a run must not be paid for in vain."""
    for path in filter(None, paths):
        target = Path(path)
        if target.is_dir():
            raise InputError(f"cannot write a report to {path}: it is a directory")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot write a report to {path}: {exc.strerror or exc}") from None
        if not os.access(target.parent, os.W_OK) or target.exists() and not os.access(target, os.W_OK):
            raise InputError(f"cannot write a report to {path}: permission denied")

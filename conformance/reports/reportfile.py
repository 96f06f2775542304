"""Report files: reading a JSON report written earlier, for baselines and diffs; writing the reports of a run.

Older reports lack `model`, `violations`, `models`, `summary_by_model`,
`coverage` and `certificate`; readers get them filled in (model None, no
violations), so the code that compares reports has one shape to handle. A
load report is refused: its verdict is about a few cases under load. Every
report path is tried before a run (`check_writable`), and each report written
after it is said in one line (`written_lines`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

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
    if is_load_report(data):
        raise InputError(f"{where}: a load report (crun-conformance load), not a certification: report, diff, baseline "
                         "and load --certify-report read the JSON of certify --report-json")
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


def is_load_report(data: dict) -> bool:
    """Whether a report is load's: certify's fields plus what only load has (its run, HTTP outcomes, latencies).

    Its verdict is about the answers under load to a few cases, not about the profile: read as a certification, a
    load run of six cases would certify a gateway."""
    return isinstance(data.get("run"), dict) and "http" in data and "latency" in data


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
    """Refuse, before anything is sent, a report path that cannot be written: a run must not be paid for in vain.

    Each path is opened for appending (created, and removed again, when it did not exist): permission bits say
    nothing to root, and a path under /proc or on a full or read-only disk only shows itself by trying."""
    seen: set[Path] = set()
    for path in filter(None, paths):
        target = Path(path)
        if target.resolve() in seen:
            raise InputError(f"cannot write two reports to {path}: give each its own path")
        seen.add(target.resolve())
        if target.is_dir():
            raise InputError(f"cannot write a report to {path}: it is a directory")
        existed = target.exists()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("ab"):
                pass
        except OSError as exc:
            raise InputError(f"cannot write a report to {path}: {exc.strerror or type(exc).__name__}") from None
        if not existed:
            target.unlink(missing_ok=True)


def save(path: str, content: str | bytes | Iterable[str]) -> str | None:
    """Write one report file (its folder made); None when written, else why not, in a few words.

    `content` may come in pieces (a JSON encoder's): a hundred models' report is then never one string in memory."""
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            with target.open("w", encoding="utf-8") as file:
                file.writelines(content)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def written_lines(done: list[tuple[str, str, str | None]]) -> list[str]:
    """One line per report: where it was written, or why it could not be."""
    return [f"crun-conformance: {kind} report written to {path}" if why is None
            else f"crun-conformance: cannot write the {kind} report to {path}: {why}" for kind, path, why in done]

"""The certificate: what a report was judged with, so it can be filed as evidence and checked later.

Like a conformance submission it says which tool, catalogue and contract
judged which target, when, how, and on what machine. Digests make "the same
catalogue" and "the same contract" checkable: sha256 over a canonical JSON
of the catalogue, and over the contract file's bytes.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shlex
from datetime import UTC, datetime
from typing import Iterable, Sequence

from .. import __version__
from ..catalogue.contract import contract_path
from ..catalogue.requirements import CATALOGUE, Requirement
from ..outcomes.verdict import FAILING, Coverage, verdict_of, verdict_words
from ..wire.exchange import MASK

KEY_OPTIONS = ("--api-key",)


def catalogue_digest(catalogue: Iterable[Requirement] = CATALOGUE) -> str:
    """sha256 of the catalogue's id, levels, endpoints and statement, as canonical JSON (sorted keys, no spaces)."""
    rows = [{"id": r.id, "levels": r.levels, "endpoints": list(r.endpoints), "statement": r.statement} for r in catalogue]
    canonical = json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def contract_digest() -> str:
    return "sha256:" + hashlib.sha256(contract_path().read_bytes()).hexdigest()


def masked_command(argv: Sequence[str], secrets: Iterable[str] = ()) -> str:
    """The command line as a shell would take it, with the value of --api-key and every occurrence of a key masked."""
    words, hide_next = [], False
    for word in argv:
        if hide_next:
            word, hide_next = MASK, False
        elif word in KEY_OPTIONS:
            hide_next = True
        elif any(word.startswith(option + "=") for option in KEY_OPTIONS):
            word = word.split("=", 1)[0] + "=" + MASK
        for secret in secrets:
            if secret:
                word = word.replace(secret, MASK)
        words.append(word)
    return shlex.join(words)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build(report: dict, *, started: datetime, finished: datetime | None = None, command: Sequence[str],
          strict: bool = False, secrets: Iterable[str] = ()) -> dict:
    """The certificate of a report already built (its target, profile and models are read from it)."""
    finished = finished or datetime.now(UTC)
    target = report.get("target") or {}
    return {
        "tool": "crun-conformance",
        "tool_version": __version__,
        "catalogue_digest": catalogue_digest(),
        "catalogue_requirements": len(CATALOGUE),
        "contract": "openapi/crun.yaml",
        "contract_digest": contract_digest(),
        "profile": target.get("profile"),
        "strict": strict,
        "started_at": utc(started),
        "finished_at": utc(finished),
        "duration_s": round((finished - started).total_seconds(), 3),
        "command": masked_command(command, secrets),
        "base_url": target.get("base_url"),
        "models": list(report.get("models") or target.get("models") or []),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
    }


def attach(report: dict, **facts) -> dict:
    """The report with its certificate first: `attach(report, started=..., command=..., strict=..., secrets=...)`."""
    rest = {name: value for name, value in report.items() if name != "certificate"}
    return {"certificate": build(report, **facts), **rest}


def _failures(report: dict, level: str) -> list[str]:
    found: list[str] = []
    for check in report.get("checks") or []:
        if check.get("level") == level and check.get("outcome") in FAILING:
            name = check["id"] + (f" ({check['model']})" if check.get("model") else "")
            if name not in found:
                found.append(name)
    return found


def _not_judged(report: dict, level: str) -> list[str]:
    found: list[str] = []
    for item in report.get("not_judged") or []:
        name = item["id"] + (f" ({item['model']})" if item.get("model") else "")
        if item.get("level") == level and name not in found:
            found.append(name)
    return found


def _named(items: list[str], cap: int = 8) -> str:
    if not items:
        return "none"
    shown = ", ".join(items[:cap]) + (f", +{len(items) - cap} more" if len(items) > cap else "")
    return f"{len(items)}: {shown}"


def markdown_block(report: dict) -> list[str]:
    """What a person reads in seconds, before the tables: verdict, MUST and SHOULD failures, cost, date; then the
    certificate itself."""
    certificate = report.get("certificate") or {}
    strict = bool(report.get("strict", certificate.get("strict", False)))
    musts, shoulds = _failures(report, "MUST"), _failures(report, "SHOULD")
    verdict = report.get("verdict") or verdict_of(((c.get("level"), c.get("outcome")) for c in report.get("checks") or []),
                                                  strict)
    coverage = Coverage.read(report.get("coverage"))
    cost = report.get("cost") or {}
    profile = certificate.get("profile") or (report.get("target") or {}).get("profile")
    lines = [
        f"> **Verdict: {verdict_words(verdict, coverage)}** (profile `{profile}`{', strict' if strict else ''})",
        ">",
        f"> - MUST failures: {_named(musts)}",
        f"> - SHOULD failures: {_named(shoulds)}",
        f"> - MUST checks not judged (no evidence in the answer): {_named(_not_judged(report, 'MUST'))}",
        *([f"> - Not a certification of the profile: only {coverage.text()}"]
          if coverage is not None and coverage.partial else []),
        f"> - Cost: {cost.get('requests', 0)} requests, {cost.get('input_tokens', 0)} input and "
        f"{cost.get('output_tokens', 0)} output tokens",
        f"> - Date: {certificate.get('finished_at', 'unknown')}"
        + (f" ({certificate['duration_s']:.1f} s)" if isinstance(certificate.get("duration_s"), (int, float)) else ""),
        "",
    ]
    if certificate:
        rows = [("tool", f"{certificate.get('tool')} {certificate.get('tool_version')}"),
                ("catalogue", f"`{certificate.get('catalogue_digest')}` ({certificate.get('catalogue_requirements')} requirements)"),
                ("contract", f"`{certificate.get('contract')}` `{certificate.get('contract_digest')}`"),
                ("profile, strict", f"{certificate.get('profile')}, {'yes' if certificate.get('strict') else 'no'}"),
                ("started, finished", f"{certificate.get('started_at')}, {certificate.get('finished_at')}"),
                ("command", f"`{certificate.get('command')}`"),
                ("target", f"{certificate.get('base_url')}, models {', '.join(certificate.get('models') or []) or '-'}"),
                ("python, os", f"{certificate.get('python')}, {certificate.get('os')}")]
        lines += ["<details><summary>Certificate</summary>", "", "| | |", "|---|---|"]
        lines += [f"| {name} | {value.replace('|', chr(92) + '|')} |" for name, value in rows]
        lines += ["", "</details>", ""]
    return lines

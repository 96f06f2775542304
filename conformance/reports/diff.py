"""Diffs of two reports: what regressed, what got fixed, what was added or removed, and what it cost.

Works across models (a check's key includes its model; an older report
without models matches every model) and across tool versions: a requirement
renamed (catalogue.requirements.RENAMED) or dropped from the catalogue is reported as such, never
as a regression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..catalogue.requirements import BY_ID, RENAMED
from ..outcomes.verdict import EXIT_FAILED, EXIT_OK, FAILING, PARTIAL, PASSED, Coverage
from .reportfile import Key, check_writable, describe, duration_s, key, load_report, report_verdict
from .text import md_text

COST_FIELDS = ("requests", "input_tokens", "output_tokens", "retries")
SHOWN = 30


@dataclass(frozen=True)
class Change:
    key: Key
    level: str
    old: str
    new: str
    actual: str = ""

    def line(self, with_actual: bool = True) -> str:
        text = f"{describe(self.key)} [{self.level}]: {self.old} -> {self.new}"
        if with_actual and self.actual and self.new in FAILING:
            text += f"; actual: {' '.join(self.actual.split())[:200]}"
        return text


@dataclass
class DiffResult:
    old_name: str
    new_name: str
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (id, why)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    checks_added: list[Key] = field(default_factory=list)
    checks_removed: list[Key] = field(default_factory=list)
    models: tuple[list[str], list[str]] = ([], [])
    verdict: tuple[str, str] = ("", "")
    verdict_by_model: dict[str, tuple[str, str]] = field(default_factory=dict)
    cost: dict[str, tuple[int, int]] = field(default_factory=dict)
    duration_s: tuple[float, float] = (0.0, 0.0)
    tool: tuple[str, str] = ("", "")
    warnings: list[str] = field(default_factory=list)  # what makes the two reports compare less than like for like

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.regressions else EXIT_OK

    def sections(self) -> list[tuple[str, list[str]]]:
        """The diff as (title, lines) in reading order, regressions first; text and Markdown render these."""
        out: list[tuple[str, list[str]]] = []
        if self.regressions:
            out.append((f"REGRESSIONS ({len(self.regressions)}): passed before, fail now", [c.line() for c in self.regressions]))
        if self.fixes:
            out.append((f"Fixes ({len(self.fixes)}): failed before, pass now", [c.line(False) for c in self.fixes]))
        if self.changed:
            out.append((f"Other outcome changes ({len(self.changed)})", _capped([c.line(False) for c in self.changed])))
        if self.renamed:
            out.append((f"Requirements renamed ({len(self.renamed)})", [f"{a} -> {b}" for a, b in self.renamed]))
        if self.added:
            out.append((f"Requirements added ({len(self.added)})", [", ".join(self.added)]))
        for why in sorted({why for _, why in self.removed}):
            ids = [rid for rid, reason in self.removed if reason == why]
            out.append((f"Requirements removed, {why} ({len(ids)})", [", ".join(ids)]))
        added_models, removed_models = self.models
        other = [f"checks added: {len(self.checks_added)}, removed: {len(self.checks_removed)}"
                 + (" (of requirements present in both)" if self.checks_added or self.checks_removed else "")]
        other += [f"models added: {', '.join(added_models)}"] if added_models else []
        other += [f"models removed: {', '.join(removed_models)}"] if removed_models else []
        out.append(("Checks and models", other))
        return out

    def summary(self) -> list[str]:
        old_v, new_v = self.verdict
        lines = [f"verdict: {old_v}" + (f" -> {new_v}" if new_v != old_v else " (unchanged)")]
        lines += [f"verdict for {model}: {a} -> {b}" for model, (a, b) in self.verdict_by_model.items()]
        lines.append("cost: " + ", ".join(f"{name.replace('_', ' ')} {a} -> {b} ({b - a:+d})"
                                          for name, (a, b) in self.cost.items()))
        a, b = self.duration_s
        lines.append(f"duration: {a:.1f} s -> {b:.1f} s ({b - a:+.1f} s)")
        if self.tool[0] != self.tool[1]:
            lines.append(f"tool version: {self.tool[0] or '?'} -> {self.tool[1] or '?'}")
        return lines

    def text(self) -> str:
        lines = [f"diff {self.old_name} -> {self.new_name}", *(f"warning: {w}" for w in self.warnings), *self.summary()]
        for title, body in self.sections():
            lines += ["", title + ":"] + [f"  {line}" for line in body]
        lines += ["", f"{len(self.regressions)} regression(s), {len(self.fixes)} fix(es)"]
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"# Conformance diff: `{self.old_name}` -> `{self.new_name}`", ""]
        lines += [f"> **Warning**: {md_text(w)}" for w in self.warnings] + ([""] if self.warnings else [])
        lines += [f"- {line}" for line in self.summary()]
        for title, body in self.sections():
            lines += ["", f"## {title}", ""] + [f"- {md_text(line)}" for line in body]
        return "\n".join(lines) + "\n"


def _capped(lines: list[str]) -> list[str]:
    return lines[:SHOWN] + ([f"... and {len(lines) - SHOWN} more"] if len(lines) > SHOWN else [])



def _renamed(check: dict) -> dict:
    return {**check, "id": RENAMED.get(check["id"], check["id"])}


def diff(old: dict, new: dict, old_name: str = "OLD", new_name: str = "NEW") -> DiffResult:
    """Compare two reports (as read by reportfile.parse_report); pure."""
    result = DiffResult(old_name, new_name)
    old_checks = [_renamed(c) for c in old["checks"]]
    new_checks = new["checks"]
    old_ids = {c["id"] for c in old_checks}
    new_ids = {c["id"] for c in new_checks}
    result.renamed = sorted({(c["id"], RENAMED[c["id"]]) for c in old["checks"] if c["id"] in RENAMED
                             and RENAMED[c["id"]] in new_ids})
    result.added = sorted(new_ids - old_ids)
    result.removed = [(rid, "no longer in the catalogue" if rid not in BY_ID else f"not judged in {new_name}")
                      for rid in sorted(old_ids - new_ids)]
    old_by_key = {key(c): c for c in old_checks}
    used: set[Key] = set()
    for check in new_checks:
        k = key(check)
        before = _counterpart(k, old_by_key)
        if before is None:
            if check["id"] in old_ids:
                result.checks_added.append(k)
            continue
        used.add(key(before))
        old_outcome, new_outcome = before["outcome"], check["outcome"]
        if old_outcome == new_outcome:
            continue
        change = Change(k, check.get("level") or "-", old_outcome, new_outcome, check.get("actual") or "")
        if new_outcome in FAILING and old_outcome == PASSED:
            result.regressions.append(change)
        elif old_outcome in FAILING and new_outcome == PASSED:
            result.fixes.append(change)
        else:
            result.changed.append(change)
    result.checks_removed = [k for k, c in old_by_key.items() if k not in used and c["id"] in new_ids]
    old_models, new_models = _models(old), _models(new)
    result.models = ([m for m in new_models if m not in old_models], [m for m in old_models if m not in new_models])
    result.verdict = (report_verdict(old), report_verdict(new))
    old_by_model, new_by_model = old.get("summary_by_model") or {}, new.get("summary_by_model") or {}
    result.verdict_by_model = {m: (old_by_model[m].get("verdict"), new_by_model[m].get("verdict"))
                               for m in new_by_model if m in old_by_model
                               and old_by_model[m].get("verdict") != new_by_model[m].get("verdict")}
    old_cost, new_cost = old.get("cost") or {}, new.get("cost") or {}
    result.cost = {name: (int(old_cost.get(name) or 0), int(new_cost.get(name) or 0))
                   for name in COST_FIELDS if name in old_cost or name in new_cost}
    result.duration_s = (duration_s(old), duration_s(new))
    result.tool = tuple((r.get("certificate") or {}).get("tool_version") or "" for r in (old, new))
    result.warnings = _warnings(old, new, old_name, new_name)
    return result


def _warnings(old: dict, new: dict, old_name: str, new_name: str) -> list[str]:
    """What makes the comparison less than like for like: other targets, other profiles, a run that left
    requirements out (what it did not check shows as removed, not as fixed or regressed)."""
    found = []
    for name, what in (("base_url", "targets"), ("profile", "profiles")):
        before, after = ((r.get("target") or {}).get(name) for r in (old, new))
        if before and after and before != after:
            found.append(f"the reports judged different {what} ({before} -> {after}): the changes may be theirs, "
                         "not a build's")
    for report, name in ((old, old_name), (new, new_name)):
        coverage = Coverage.read(report.get("coverage"))
        if coverage is not None and coverage.partial:
            found.append(f"{name} is {PARTIAL}: {coverage.text()}; the requirements it left out are not compared")
    return found


def _counterpart(k: Key, old_by_key: dict[Key, dict]) -> dict | None:
    """The old check judged the same way: same key, or the same but model-less (an older, one-model report)."""
    rid, endpoint, model, case = k
    found = old_by_key.get(k) or old_by_key.get((rid, endpoint, None, case))
    if found is None and model is None:
        found = next((c for (i, e, _, cs), c in old_by_key.items() if (i, e, cs) == (rid, endpoint, case)), None)
    return found


def _models(report: dict) -> list[str]:
    return list(report.get("models") or (report.get("target") or {}).get("models") or [])


def run(old_path: str, new_path: str, md_path: str | None = None, emit: Callable[[str], Any] = print) -> int:
    """`crun-conformance diff OLD.json NEW.json [--md PATH]`: emit the diff; exit 1 when anything regressed."""
    check_writable(md_path)
    result = diff(load_report(old_path, "OLD"), load_report(new_path, "NEW"), old_path, new_path)
    emit(result.text())
    if md_path:
        Path(md_path).parent.mkdir(parents=True, exist_ok=True)
        Path(md_path).write_text(result.markdown(), encoding="utf-8")
    return result.exit_code

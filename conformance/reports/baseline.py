"""Baselines: judge a run against what an earlier run (or an expectations file) says it should be.

CI asks "did this build break a promise the last one kept?", the way pytest's
strict xfail or a browser engine's expectation files answer it. A baseline is
an earlier JSON report or a YAML expectations file; comparing the current
checks with it gives regressions (failing now, passed then), fixes (passing
now, expected to fail), known failures, and new checks (judged on their own
level as usual), and from those the exit code.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from ..catalogue.requirements import BY_ID, RENAMED
from ..outcomes.verdict import EXIT_FAILED, EXIT_OK, FAILING, OUTCOMES, PARTIAL, PASSED, SKIPPED, Coverage, counts_against
from .reportfile import InputError, Key, describe, key, load_report, parse_report, read_text

ENTRY_FIELDS = ("id", "endpoint", "model", "case", "outcome", "reason")
TOP_FIELDS = ("version", "expectations", "judged")
REASON_PLACEHOLDER = "TODO: say why this outcome is accepted"
SHOWN = 20  # at most this many lines per informational group in the text; regressions are always listed in full


@dataclass(frozen=True)
class Expectation:
    """One expected outcome; an absent endpoint, model or case matches any."""

    id: str
    outcome: str
    endpoint: str | None = None
    model: str | None = None
    case: str | None = None
    reason: str = ""
    line: int | None = None

    def matches(self, k: Key) -> bool:
        rid, endpoint, model, case = k
        return self.id == rid and all(mine is None or mine == theirs for mine, theirs in
                                      ((self.endpoint, endpoint), (self.model, model), (self.case, case)))

    @property
    def specificity(self) -> int:
        return sum(part is not None for part in (self.endpoint, self.model, self.case))

    @property
    def key(self) -> Key:
        return (self.id, self.endpoint, self.model, self.case)


@dataclass
class Baseline:
    """What a run is compared to. `default` is the outcome expected of unlisted checks (None: they are new)."""

    source: str
    expectations: list[Expectation]
    default: str | None
    judged: frozenset[str] | None = None
    notes: list[str] = field(default_factory=list)

    def expectation_for(self, k: Key) -> Expectation | None:
        found = [e for e in self.expectations if e.matches(k)]
        if found:
            return max(found, key=lambda e: e.specificity)  # the first of the most specific
        if self.default is None or (self.judged is not None and k[0] not in self.judged):
            return None
        return Expectation(k[0], self.default, reason="not listed: expected to pass")


def load(path: str | Path) -> Baseline:
    """A baseline from a JSON report or a YAML expectations file; InputError (one line, with the line) if unusable."""
    text = read_text(path, "--baseline")
    where = str(path)
    if Path(path).suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return from_report(parse_report(text, where), where)
    return parse_expectations(text, where)


def from_report(report: dict, source: str) -> Baseline:
    """Every check of an earlier report is expected to come out the same; renamed requirements follow their new id."""
    expectations, gone = [], set()
    for check in report["checks"]:
        rid = RENAMED.get(check["id"], check["id"])
        if rid not in BY_ID:
            gone.add(check["id"])
            continue
        expectations.append(Expectation(rid, check["outcome"], check.get("endpoint"), check.get("model"),
                                        check.get("case"), reason=f"{check['outcome']} in {Path(source).name}"))
    notes = [f"ignored {len(gone)} requirement(s) of the baseline that this version no longer has: "
             + ", ".join(sorted(gone))] if gone else []
    notes += _partial(report, "the baseline")
    return Baseline(source, expectations, None, notes=notes)


def _partial(report: dict, what: str) -> list[str]:
    """A note when a report left requirements of its profile out: its checks say nothing about those."""
    coverage = Coverage.read(report.get("coverage"))
    if coverage is None or not coverage.partial:
        return []
    return [f"{what} is {PARTIAL}: {coverage.text()}; checks of the requirements it left out are judged on their "
            "own level"]


def parse_expectations(text: str, where: str) -> Baseline:
    """Validate an expectations file node by node, so every problem names its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise InputError(f"{where}:{line}: YAML does not parse ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{where}:1: YAML does not parse ({type(exc).__name__})") from None
    if not isinstance(root, yaml.MappingNode):
        line = root.start_mark.line + 1 if root is not None else 1
        raise InputError(f"{where}:{line}: expected a mapping with an `expectations` list")
    top = _fields(root, TOP_FIELDS, where, "top level")
    if "expectations" not in top:
        raise InputError(f"{where}:{root.start_mark.line + 1}: no `expectations` list")
    version = top.get("version")
    if version is not None and _scalar(version, where, "version") != "1":
        raise InputError(f"{where}:{_line(version)}: unknown version {version.value!r}; this tool reads version 1")
    entries = top["expectations"]
    if not isinstance(entries, yaml.SequenceNode):
        if _is_null(entries):
            entries = yaml.SequenceNode("tag:yaml.org,2002:seq", [], entries.start_mark, entries.end_mark)
        else:
            raise InputError(f"{where}:{_line(entries)}: `expectations` must be a list")
    expectations: list[Expectation] = []
    seen: dict[Key, int] = {}
    for node in entries.value:
        expectation = _expectation(node, where)
        if expectation.key in seen:
            raise InputError(f"{where}:{expectation.line}: the same check as the entry at line {seen[expectation.key]}")
        seen[expectation.key] = expectation.line or 0
        expectations.append(expectation)
    judged = None
    if top.get("judged") is not None and not _is_null(top["judged"]):
        node = top["judged"]
        if not isinstance(node, yaml.SequenceNode):
            raise InputError(f"{where}:{_line(node)}: `judged` must be a list of requirement ids")
        judged = frozenset(RENAMED.get(rid, rid) for rid in (_scalar(item, where, "judged") for item in node.value))
    return Baseline(where, expectations, PASSED, judged)


def _expectation(node: yaml.Node, where: str) -> Expectation:
    if not isinstance(node, yaml.MappingNode):
        raise InputError(f"{where}:{_line(node)}: an expectation must be a mapping (id, outcome, reason, ...)")
    values = {name: None if _is_null(value) else _scalar(value, where, name)
              for name, value in _fields(node, ENTRY_FIELDS, where, "an expectation").items()}
    line = _line(node)
    for required in ("id", "outcome", "reason"):
        if not values.get(required):
            raise InputError(f"{where}:{line}: the expectation has no `{required}`")
    rid = RENAMED.get(values["id"], values["id"])
    requirement = BY_ID.get(rid)
    if requirement is None:
        raise InputError(f"{where}:{line}: unknown requirement id {values['id']!r} (see `crun-conformance list`)")
    if values["outcome"] not in OUTCOMES:
        raise InputError(f"{where}:{line}: bad outcome {values['outcome']!r} for {rid}; one of {', '.join(OUTCOMES)}")
    if values.get("endpoint") and values["endpoint"] not in requirement.endpoints:
        raise InputError(f"{where}:{line}: {rid} is not checked on {values['endpoint']!r}; "
                         f"its endpoints: {', '.join(requirement.endpoints)}")
    return Expectation(rid, values["outcome"], values.get("endpoint"), values.get("model"), values.get("case"),
                       values["reason"], line)


def _fields(node: yaml.MappingNode, allowed: tuple[str, ...], where: str, what: str) -> dict[str, yaml.Node]:
    found: dict[str, yaml.Node] = {}
    for key_node, value in node.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if name not in allowed:
            raise InputError(f"{where}:{_line(key_node)}: unknown field {name!r} in {what}; "
                             f"allowed: {', '.join(allowed)}")
        if name in found:
            raise InputError(f"{where}:{_line(key_node)}: field {name!r} given twice")
        found[name] = value
    return found


def _scalar(node: yaml.Node, where: str, name: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise InputError(f"{where}:{_line(node)}: `{name}` must be a single value")
    return node.value


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


@dataclass(frozen=True)
class Comparison:
    """One check of the run set against its expectation (None: a check the baseline does not judge)."""

    key: Key
    level: str
    outcome: str
    expected: str | None
    reason: str
    actual: str

    def line(self, with_actual: bool = True) -> str:
        text = f"  {describe(self.key)} [{self.level}]: {self.outcome}"
        if self.expected:
            text += f", expected {self.expected}"
        if self.reason:
            text += f" ({self.reason})"
        if with_actual and self.actual and self.outcome in FAILING:
            text += f"\n      actual: {self.actual[:200]}"
        return text


@dataclass
class GateResult:
    source: str
    strict: bool
    strict_baseline: bool
    regressions: list[Comparison] = field(default_factory=list)
    fixed: list[Comparison] = field(default_factory=list)
    new_failures: list[Comparison] = field(default_factory=list)
    known: list[Comparison] = field(default_factory=list)
    changed: list[Comparison] = field(default_factory=list)
    new_checks: int = 0
    compared: int = 0
    not_run: list[Expectation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        failing = self.regressions or self.new_failures or (self.strict_baseline and self.fixed)
        return EXIT_FAILED if failing else EXIT_OK

    def text(self) -> str:
        lines = ["", f"Baseline {self.source}: {self.compared} checks compared, {self.new_checks} new"]
        lines += [f"  note: {note}" for note in self.notes]
        if self.regressions:
            lines += ["", f"REGRESSIONS ({len(self.regressions)}): passed in the baseline, fail now"]
            lines += [f.line() for f in self.regressions]
        if self.new_failures:
            lines += ["", f"Checks the baseline does not judge, failing on their own level ({len(self.new_failures)}):"]
            lines += [f.line() for f in self.new_failures]
        if self.fixed:
            lines += ["", f"fixed: update the baseline ({len(self.fixed)}): expected to fail, pass now"
                      + (" (fails the run under --strict-baseline)" if self.strict_baseline else "")]
            lines += [f.line() for f in self.fixed]
        for title, group in ((f"Known failures, as the baseline expects ({len(self.known)})", self.known),
                             (f"Changed without failing ({len(self.changed)})", self.changed)):
            if group:
                lines += ["", title + ":"] + [f.line(with_actual=False) for f in group[:SHOWN]]
                lines += [f"  ... and {len(group) - SHOWN} more"] if len(group) > SHOWN else []
        if self.not_run:
            lines += ["", f"Baseline entries that matched no check of this run ({len(self.not_run)}):"]
            lines += [f"  {describe(e.key)}" + (f" (line {e.line})" if e.line else "") for e in self.not_run[:SHOWN]]
            lines += [f"  ... and {len(self.not_run) - SHOWN} more"] if len(self.not_run) > SHOWN else []
        lines += ["", "baseline verdict: " + self._verdict()]
        return "\n".join(lines)

    def _verdict(self) -> str:
        if not self.exit_code:
            return "PASSED: nothing regressed" + (f" ({len(self.fixed)} fixed: update the baseline)" if self.fixed else "")
        why = [f"{len(self.regressions)} regression(s)"] if self.regressions else []
        why += [f"{len(self.new_failures)} new check(s) failing"] if self.new_failures else []
        why += [f"{len(self.fixed)} fixed under --strict-baseline"] if self.strict_baseline and self.fixed else []
        return "FAILED: " + ", ".join(why)


def compare(checks: Iterable[dict], baseline: Baseline, strict: bool = False, strict_baseline: bool = False) -> GateResult:
    """Set each current check against its expectation; pure, so the caller decides what to print and return."""
    result = GateResult(baseline.source, strict, strict_baseline, notes=list(baseline.notes))
    used: set[int] = set()
    for check in checks:
        k = key(check)
        level, outcome = check.get("level") or "-", check["outcome"]
        expectation = baseline.expectation_for(k)
        used.add(id(expectation))
        entry = Comparison(k, level, outcome, expectation.outcome if expectation else None,
                           expectation.reason if expectation else "", check.get("actual") or "")
        if expectation is None or expectation.outcome == SKIPPED and outcome in FAILING:
            result.new_checks += expectation is None
            if counts_against(level, outcome, strict):
                result.new_failures.append(entry)
            continue
        result.compared += 1
        was_failing, failing = expectation.outcome in FAILING, outcome in FAILING
        if failing and not was_failing:
            result.regressions.append(entry)
        elif was_failing and outcome == PASSED:
            result.fixed.append(entry)
        elif failing:
            result.known.append(entry)
        elif outcome != expectation.outcome:
            result.changed.append(entry)
    result.not_run = [e for e in baseline.expectations if id(e) not in used]
    return result


def gate(report: dict, baseline: str | Path | Baseline, strict_baseline: bool = False,
         emit: Callable[[str], Any] = print, strict: bool | None = None) -> int:
    """Compare a run's report with a baseline, emit the result text (regressions first), return the exit code."""
    loaded = baseline if isinstance(baseline, Baseline) else load(baseline)
    result = compare(report["checks"], loaded, report.get("strict", False) if strict is None else strict, strict_baseline)
    coverage = Coverage.read(report.get("coverage"))
    if coverage is not None and coverage.partial:
        result.notes.append(f"this run is {PARTIAL}: {coverage.text()}; the baseline's entries for the other "
                            "requirements are not compared")
    emit(result.text())
    return result.exit_code


def expectations_yaml(report: dict, source: str) -> str:
    """An expectations file from a report: every check that did not pass, with a reason to fill in."""
    certificate = report.get("certificate") or {}
    target = report.get("target") or {}
    entries = []
    for check in sorted((c for c in report["checks"] if c["outcome"] != PASSED),
                        key=lambda c: (c["outcome"] not in FAILING, c["id"], c.get("endpoint") or "",
                                       c.get("model") or "", c.get("case") or "")):
        entry: dict[str, Any] = {"id": check["id"], "endpoint": check.get("endpoint"), "model": check.get("model"),
                                 "case": check.get("case"), "outcome": check["outcome"]}
        entry = {name: value for name, value in entry.items() if value is not None}
        observed = " ".join((check.get("actual") or "").split())[:120]
        entry["reason"] = REASON_PLACEHOLDER + (f" (observed: {observed})" if observed else "")
        entries.append(entry)
    judged = sorted({RENAMED.get(c["id"], c["id"]) for c in report["checks"]})
    about = [f"target {target.get('base_url', '?')}", f"profile {target.get('profile', '?')}"]
    about += [f"crun-conformance {certificate['tool_version']}"] if certificate.get("tool_version") else []
    about += [certificate["finished_at"]] if certificate.get("finished_at") else []
    header = [
        "# crun-conformance expectations: the outcomes this target is known to have.",
        f"# Written from {Path(source).name} ({', '.join(about)}).",
        *(f"# Note: {note}." for note in _partial(report, "that report")),
        "#",
        "# Every check NOT listed here is expected to pass. Each entry names a requirement `id`, optionally the",
        "# `endpoint`, `model` and `case` it was checked on (leave one out to match them all), the `outcome`",
        "# expected (passed, failed, skipped, error) and a `reason`: replace each TODO with why it is accepted.",
        "# `certify --baseline THIS_FILE` exits 1 when a check fails that is expected to pass (a regression),",
        "# lists checks that pass but are expected to fail as 'fixed: update the baseline' (exit 1 only with",
        "# --strict-baseline), and judges checks of requirements not in `judged` (new ones) on their own level.",
        "",
    ]
    body = yaml.safe_dump({"version": 1, "expectations": entries}, sort_keys=False, allow_unicode=True, width=120)
    judged_text = yaml.safe_dump({"judged": judged}, default_flow_style=None, width=110, sort_keys=False)
    return "\n".join(header) + body + "\n# The requirements this file was written against.\n" + judged_text



def write_expectations(report_path: str, emit: Callable[[str], Any] = print) -> int:
    """`crun-conformance baseline REPORT.json`: the expectations file of a report, to stdout; a report that left
    requirements out says so on stderr too (`judged` then names only those it checked)."""
    report = load_report(report_path)
    for note in _partial(report, report_path):
        print(f"crun-conformance: warning: {note}", file=sys.stderr)
    emit(expectations_yaml(report, report_path).rstrip("\n"))
    return 0

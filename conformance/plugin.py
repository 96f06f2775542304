"""The pytest plugin: one test per check of a case (and model) over a live, reference or replayed target.

`pytest` in the repository root replays `cassettes/`; `pytest --base-url URL
--api-key KEY` judges a live server (add `--record-mode=once` to record it).
The tests are views of one `Certification`, the same object `crun-conformance
certify` drives: the first test runs every selected case (concurrently), and
each test then reports its check's outcome.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_recording  # noqa: F401  imported before .cassettes imports vcr, so vcr can still be assert-rewritten

from . import options
from .outcomes.outcome import Outcome
from .outcomes.verdict import ERROR, SKIPPED
from .reports import certificate
from .reports import document as reports
from .reports.reportfile import written_lines
from .run.certification import KINDS, Certification, Options
from .run.plan import Plan, Unit
from .suite.case import Check
from .wire.cassettes import has_recording
from .wire.cost import describe
from .wire.target import TargetError

RUN = pytest.StashKey["ConformanceRun"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crun-conformance", "CRUN conformance suite")
    options.add_pytest_options(group, options.PYTEST)
    group.addoption("--target", default=None, choices=KINDS,
                    help="live (with --base-url), reference (the embedded server) or replay (cassettes); "
                         "default: live with a base URL, else replay when cassettes exist, else reference")
    group.addoption("--cassette-dir", default=None, help="cassette directory (default: cassettes/ in the rootdir)")


class ConformanceRun:
    """What the plugin holds for one pytest session: the certification, its plan, and the selected checks."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = datetime.now(UTC)
        opt = config.getoption
        self.values = values = options.pytest_values(opt)
        try:
            models = options.model_choice(values)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        cassette_dir = Path(opt("cassette_dir") or Path(config.rootpath) / "cassettes")
        kind = opt("target") or ("live" if values.base_url else "replay" if has_recording(cassette_dir) else "reference")
        self.options = Options(
            kind=kind, base_url=values.base_url, api_key=values.api_key or "", profile=values.profile,
            strict=values.strict, timeout_s=values.timeout, concurrency=values.concurrency,
            concurrency_total=values.concurrency_total, models=models,
            cassette_dir=cassette_dir, record_mode=opt("record_mode") or "none", fuzz=values.fuzz,
            fuzz_examples=values.fuzz_examples)
        self.certification = Certification(self.options)
        self.problem: str | None = None
        self.plan: Plan | None = None
        self.selected: dict[str, set[str]] | None = None
        self.results: dict[tuple[str, str, str | None], Outcome] = {}
        self.ran = False
        self.written: list[tuple[str, str, str | None]] = []  # the reports written at the end, or why not

    @property
    def profile(self) -> str:
        return self.certification.profile

    def open(self) -> Plan | None:
        """The plan, made once at collection; a target that cannot be used becomes every test's failure."""
        if self.plan is None and self.problem is None:
            try:
                self.plan = self.certification.open()
            except (TargetError, ValueError) as exc:
                self.problem = f"target unusable: {exc}"
        return self.plan

    def start(self) -> ConformanceRun:
        """Run the selected checks of every unit once (the first test pays for all)."""
        if self.problem:
            pytest.fail(self.problem, pytrace=False)
        if not self.ran and self.plan is not None:
            self.ran = True
            if self.selected is not None:
                self.plan.units = [replace(u, checks=tuple(c for c in u.checks
                                                           if c.requirement in self.selected.get(u.label, ())))
                                   for u in self.plan.units if u.label in self.selected]
            try:
                for outcome in self.certification.run():
                    self.results[(outcome.id, outcome.case, outcome.model)] = outcome
            except TargetError as exc:
                self.problem = f"target unusable: {exc}"
                pytest.fail(self.problem, pytrace=False)
        return self

    def outcome(self, unit: Unit, check: Check) -> Outcome:
        return self.results[(check.requirement, unit.case.id, unit.model)]

    @property
    def outcomes(self) -> list[Outcome]:
        return self.certification.outcomes

    def report(self) -> dict:
        built = reports.of_certification(self.certification)
        return certificate.attach(built, started=self.started, command=["pytest", *self.config.invocation_params.args],
                                  strict=self.options.strict, secrets=(self.options.api_key,))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RUN] = ConformanceRun(config)
    config.addinivalue_line("markers", "conformance: a check of the CRUN conformance suite")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case_check" not in metafunc.fixturenames:
        return
    plan = metafunc.config.stash[RUN].open()
    if plan is None:
        metafunc.parametrize("case_check", [None], ids=["target-unusable"])
        return
    pairs = [(unit, check) for unit in plan.units for check in unit.checks]
    metafunc.parametrize("case_check", pairs, ids=[f"{check.requirement}@{unit.label}" for unit, check in pairs])


def pytest_collection_finish(session: pytest.Session) -> None:
    """Only the checks left after -k and deselection are run: nothing is sent for a deselected test."""
    run = session.config.stash[RUN]
    selected: dict[str, set[str]] = {}
    for item in session.items:
        pair = getattr(item, "callspec", None) and item.callspec.params.get("case_check")
        if pair:
            selected.setdefault(pair[0].label, set()).add(pair[1].requirement)
    run.selected = selected


@pytest.fixture(scope="session")
def conformance(pytestconfig: pytest.Config) -> ConformanceRun:
    return pytestconfig.stash[RUN].start()


def raise_pytest_result(outcome: Outcome) -> None:
    """Turn an outcome into the pytest result (skip, fail, or return): failures read requirement, expected, actual."""
    if outcome.outcome == SKIPPED:
        pytest.skip(outcome.actual)
    if outcome.failing:
        head = f"{outcome.id} [{outcome.level}] {outcome.endpoint}: {outcome.statement}"
        if outcome.outcome == ERROR:
            pytest.fail(f"{head}\n  the check could not run: {outcome.actual}", pytrace=False)
        listed = "".join(f"\n    - {v}" for v in reports.violations(outcome))
        pytest.fail(f"{head}\n  expected: {outcome.expected}\n  actual:   {outcome.actual}{listed}\n"
                    f"  exchange: {outcome.exchange}", pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash[RUN]
    if run.ran and run.plan is not None:
        values = run.values
        run.written = reports.write(run.report(), run.outcomes, values.report_json, values.report_md, values.junit_xml,
                                    values.report_html)
    run.certification.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash[RUN]
    if not run.outcomes:
        return
    cost = run.certification.cost
    terminalreporter.write_line(
        f"crun-conformance: target {run.options.kind}, profile {run.profile}, {len(run.outcomes)} checks"
        + (f"; {describe(cost.as_dict())}" if run.options.kind != "replay" else ""))
    for line in [f"crun-conformance: warning: {w}" for w in run.certification.warnings] + written_lines(run.written):
        terminalreporter.write_line(line)

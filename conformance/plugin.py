"""The pytest plugin: one test per (case, requirement) over a live, reference or replayed target.

`pytest` in the repository root replays `cassettes/`; `pytest --base-url URL
--api-key KEY` judges a live server (add `--record-mode=once` to record it);
`crun-conformance certify` runs these same tests in-process.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_recording  # noqa: F401  imported before .cassettes imports vcr, so vcr can still be assert-rewritten

from . import certificate
from . import report as reports
from .cassettes import Library, has_recording, recorded_profile, replay_target, write_manifest
from .outcome import Outcome
from .requirements import PROFILES
from .session import ConformanceSession
from .suite.cases import CASES
from .target import DEFAULT_TIMEOUT_S, Target, TargetError

TARGETS = ("live", "reference", "replay")
RUN = pytest.StashKey["ConformanceRun"]()
API_KEY = pytest.StashKey[str]()  # set by certify, so the key never travels in argv or the environment


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crun-conformance", "CRUN conformance suite")
    if importlib.util.find_spec("pytest_base_url") is None:  # else share its --base-url: defining it twice breaks pytest
        group.addoption("--base-url", default=None, help="base URL of the server under test (env CRUN_BASE_URL)")
    group.addoption("--api-key", default=None, help="API key for it (env CRUN_API_KEY); never printed or recorded")
    group.addoption("--model", default=None, help="model to test (env CRUN_MODEL; default: first of GET /models)")
    group.addoption("--messages-model", default=None, help="model for /messages (default: a Claude model if listed)")
    group.addoption("--profile", default=None, choices=PROFILES,
                    help="which requirements apply (default crun, or the recorded one when replaying)")
    group.addoption("--target", default=None, choices=TARGETS,
                    help="live (with --base-url), reference (the embedded server) or replay (cassettes); "
                         "default: live with a base URL, else replay when cassettes exist, else reference")
    group.addoption("--check-timeout", type=float, default=DEFAULT_TIMEOUT_S,
                    help=f"deadline per request in seconds (default {DEFAULT_TIMEOUT_S:g})")
    group.addoption("--cassette-dir", default=None, help="cassette directory (default: cassettes/ in the rootdir)")
    group.addoption("--fuzz", action="store_true", help="also fuzz the target from openapi/ with schemathesis (FUZZ-*)")
    group.addoption("--fuzz-examples", type=int, default=None,
                    help="generated cases per operation and mode (default 25 on the reference server, 5 elsewhere)")
    group.addoption("--report-json", default=None, help="write the JSON report here")
    group.addoption("--report-md", default=None, help="write the Markdown report here")


class ConformanceRun:
    """What the plugin holds for one pytest session: the target, the session, and the reference server if any."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.session: ConformanceSession | None = None
        self.server: Any = None
        self.problem: str | None = None
        self.started = datetime.now(UTC)
        opt = config.getoption
        self.cassette_dir = Path(opt("cassette_dir") or Path(config.rootpath) / "cassettes")
        self.base_url = opt("base_url") or os.environ.get("CRUN_BASE_URL")
        self.kind = opt("target") or ("live" if self.base_url else
                                      "replay" if has_recording(self.cassette_dir) else "reference")
        self.record_mode = opt("record_mode") or "none"
        self.profile = opt("profile") or (recorded_profile(self.cassette_dir) if self.kind == "replay" else None) or "crun"

    def start(self) -> ConformanceSession:
        if self.problem:
            pytest.fail(self.problem, pytrace=False)
        if self.session is None:
            try:
                self.session = self._start()
            except TargetError as exc:
                self.problem = f"target unusable: {exc}"
                pytest.fail(self.problem, pytrace=False)
        return self.session

    def _start(self) -> ConformanceSession:
        opt = self.config.getoption
        timeout = opt("check_timeout")
        model = opt("model") or os.environ.get("CRUN_MODEL")
        library = None
        if self.kind == "replay":
            target = replay_target(self.cassette_dir, self.profile)
            library = Library(self.cassette_dir, "none")
        elif self.kind == "reference":
            from .reference import ReferenceConfig, ReferenceServer

            key = "crun-ref-" + secrets.token_hex(12)
            self.server = ReferenceServer(ReferenceConfig(api_key=key)).start()
            target = Target(self.server.base_url, key, "reference", model, opt("messages_model"), self.profile, timeout)
        else:
            if not self.base_url:
                raise TargetError("a live target needs --base-url or CRUN_BASE_URL")
            key = self.config.stash.get(API_KEY, None) or opt("api_key") or os.environ.get("CRUN_API_KEY") or ""
            target = Target(self.base_url, key, "live", model, opt("messages_model"), self.profile, timeout)
        if self.kind != "replay" and self.record_mode != "none":
            library = Library(self.cassette_dir, self.record_mode, secrets=(target.api_key,))
        session = ConformanceSession(target, library.cassette if library else None)
        ctx = session.context
        if library is not None and self.kind != "replay":
            write_manifest(self.cassette_dir, target, ctx.model, ctx.messages_model)
        return session

    def fuzz(self) -> None:
        """Add the FUZZ-* outcomes: schemathesis against the same target, or skipped on a replay."""
        from .fuzz import run_fuzz
        from .outcome import Outcome
        from .requirements import FUZZ_REQUIREMENTS

        try:
            session = self.session or self._start()
        except TargetError as exc:
            self.problem = self.problem or f"target unusable: {exc}"
            return
        self.session = session
        if session.target.kind == "replay":
            session.outcomes += [
                Outcome(r.id, r.level(self.profile) or "-", ", ".join(r.endpoints), r.statement, "fuzz", "skipped",
                        actual="fuzzing needs a live or reference target; schemathesis traffic is not recorded")
                for r in FUZZ_REQUIREMENTS]
            return
        ctx = session.context
        outcomes, sent = run_fuzz(session.target.with_models(ctx.model, ctx.messages_model),
                                  self.config.getoption("fuzz_examples"))
        session.outcomes += [o for o in outcomes if _applies(o.id, self.profile)]
        session.caller.cost.add(sent)

    def stop(self) -> None:
        if self.session is not None:
            self.session.close()
        if self.server is not None:
            self.server.stop()

    @property
    def outcomes(self) -> list[Outcome]:
        return self.session.outcomes if self.session else []

    def report(self) -> dict | None:
        if self.session is None:
            return None
        ctx = self.session.context
        built = reports.build(self.session.target, {ctx.model, ctx.messages_model}, self.outcomes, self.session.caller.cost)
        return certificate.attach(built, started=self.started, command=["pytest", *self.config.invocation_params.args],
                                  secrets=(self.session.target.api_key,))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RUN] = ConformanceRun(config)
    config.addinivalue_line("markers", "conformance: a check of the CRUN conformance suite")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case_check" not in metafunc.fixturenames:
        return
    profile = metafunc.config.stash[RUN].profile
    pairs = [(case, check) for case in CASES for check in case.checks if _applies(check.requirement, profile)]
    metafunc.parametrize("case_check", pairs, ids=[f"{check.requirement}@{case.id}" for case, check in pairs])


def _applies(requirement_id: str, profile: str) -> bool:
    from .requirements import get

    return get(requirement_id).level(profile) is not None


@pytest.fixture(scope="session")
def conformance(pytestconfig: pytest.Config) -> ConformanceSession:
    return pytestconfig.stash[RUN].start()


def verdict(outcome: Outcome) -> None:
    """Turn an outcome into the pytest result: failures read requirement, expected, actual (h2spec style)."""
    if outcome.outcome == "skipped":
        pytest.skip(outcome.actual)
    if outcome.outcome in ("failed", "error"):
        head = f"{outcome.id} [{outcome.level}] {outcome.endpoint}: {outcome.statement}"
        if outcome.outcome == "error":
            pytest.fail(f"{head}\n  the check could not run: {outcome.actual}", pytrace=False)
        pytest.fail(f"{head}\n  expected: {outcome.expected}\n  actual:   {outcome.actual}\n"
                    f"  exchange: {outcome.exchange}", pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash[RUN]
    if session.config.getoption("fuzz"):
        run.fuzz()
    built = run.report()
    if built is not None:
        reports.write(built, run.outcomes, session.config.getoption("report_json"),
                      session.config.getoption("report_md"))
    run.stop()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash[RUN]
    if not run.outcomes:
        return
    replay_skips = sum(1 for o in run.outcomes if o.outcome == "skipped" and "replay" in o.actual)
    cost = run.session.caller.cost if run.session else None
    terminalreporter.write_line(
        f"crun-conformance: target {run.kind}, profile {run.profile}, {len(run.outcomes)} checks"
        + (f", {replay_skips} skipped because a recording cannot judge them" if replay_skips else "")
        + (f"; {cost.requests} requests sent" if cost and run.kind != "replay" else ""))

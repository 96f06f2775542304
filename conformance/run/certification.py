"""A certification from start to report: the target, the plan, the run, fuzzing, and the report dict.

`crun-conformance certify` and the pytest plugin both drive this one object,
so the command line and `pytest conformance/suite` judge a server the same
way. Heavy parts load only when used: the reference server when it is the
target, schemathesis with `fuzz`, the SDKs when an SDK case runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from ..catalogue.requirements import DEFAULT_PROFILE, FUZZ_REQUIREMENTS
from ..outcomes.outcome import Outcome
from ..outcomes.verdict import Coverage
from ..suite.cases import CASES
from ..wire.cost import Cost
from ..wire.discovery import ModelChoice
from ..wire.target import DEFAULT_TIMEOUT_S, MAX_RETRIES, Target, TargetError
from . import plan as plans
from .keyword import keyword_filter
from .plan import Plan
from .session import DEFAULT_CONCURRENCY, DEFAULT_CONCURRENCY_TOTAL, ConformanceSession, Progress

KINDS = ("live", "reference", "replay")


@dataclass
class Options:
    """Everything a certification needs to know, whoever asked for it (command line or pytest)."""

    kind: str = "reference"
    base_url: str | None = None
    api_key: str = ""
    profile: str | None = None
    strict: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    models: ModelChoice = ModelChoice()
    concurrency: int = DEFAULT_CONCURRENCY
    concurrency_total: int = DEFAULT_CONCURRENCY_TOTAL
    cassette_dir: Path | None = None
    record_mode: str = "none"  # none (no recording), a vcrpy record mode (once, all, rewrite, new_episodes), or changed
    keyword: str | None = None
    max_requests: int | None = None  # every attempt counts: the plan's requests and its retries
    fuzz: bool = False
    fuzz_examples: int | None = None


class Certification:
    def __init__(self, options: Options, progress: Progress | None = None) -> None:
        self.options = options
        self.progress = progress
        self.server = None
        self.session: ConformanceSession | None = None
        self.plan: Plan | None = None
        self.outcomes: list[Outcome] = []
        self.required: frozenset[str] = frozenset()  # the requirements a whole run of the profile checks
        self.warnings: list[str] = []  # what the user should know before the run: a model list that could not be used

    @property
    def profile(self) -> str:
        if self.options.profile:
            return self.options.profile
        if self.options.kind == "replay" and self.options.cassette_dir is not None:
            from ..wire.cassettes import recorded_profile  # vcr and pytest load only for a run with cassettes

            return recorded_profile(self.options.cassette_dir) or DEFAULT_PROFILE
        return DEFAULT_PROFILE

    def open(self) -> Plan:
        """Start the target, choose the models (asking `GET /models` only when needed) and plan the run."""
        opts = self.options
        keyword = keyword_filter(opts.keyword) if opts.keyword else None
        chosen = plans.select(CASES, self.profile, keyword)
        self.required = frozenset(check.requirement for _, checks in plans.select(CASES, self.profile)
                                  for check in checks) | self._fuzz_required()
        if not chosen and not (opts.fuzz and keyword is None):
            raise ValueError("no check to run" + (f": nothing matched -k {opts.keyword!r}" if opts.keyword else ""))
        target, library, choice = self._target()
        self.session = ConformanceSession(target, library.cassette if library else None, opts.concurrency,
                                          self.progress, opts.concurrency_total)
        caller = self.session.caller
        caller.retry_limit = MAX_RETRIES  # GET /models, before there is a plan to bound the run
        # A replay takes the models its recording names: there is no GET /models to check them against.
        resolved = choice.resolve(None if opts.kind == "replay" else caller)
        self.warnings = resolved.warnings
        self.plan = plans.build(target, chosen, resolved.models, resolved.messages_models, choice.matrix)
        self.plan.discovery = caller.cost.requests
        self.plan.retries = plans.retry_bound(self.plan.requests, opts.max_requests)
        caller.retry_limit = caller.cost.retries + self.plan.retries  # those choosing the models are in `requests`
        caller.forget_answers()
        if library is not None and opts.kind != "replay":
            from ..wire.cassettes import write_manifest

            write_manifest(library.directory, target, resolved.models, resolved.messages_models, choice.matrix)
        return self.plan

    def _target(self):
        opts = self.options
        library = None
        choice = opts.models
        if opts.kind == "replay":
            from ..wire.cassettes import Library, recorded_models, replay_target

            directory = opts.cassette_dir or Path("cassettes")
            target = replay_target(directory, self.profile)
            library = Library(directory, "none")
            recorded = recorded_models(directory)
            choice = ModelChoice(model=recorded.get("model"), messages_model=recorded.get("messages_model"),
                                 models=tuple(recorded["models"]) if "models" in recorded else None,
                                 messages_models=tuple(recorded.get("messages_models") or ()) or None)
            return target, library, choice
        if opts.kind == "reference":
            from ..reference import ReferenceConfig, ReferenceServer

            key = "crun-ref-" + secrets.token_hex(12)
            self.server = ReferenceServer(ReferenceConfig(api_key=key)).start()
            target = Target(self.server.base_url, key, "reference", profile=self.profile, timeout_s=opts.timeout_s)
        else:
            if not opts.base_url:
                raise TargetError("a live target needs --base-url or CRUN_BASE_URL")
            target = Target(opts.base_url, opts.api_key, "live", profile=self.profile, timeout_s=opts.timeout_s)
        if opts.record_mode != "none":
            from ..wire.cassettes import Library

            library = Library(opts.cassette_dir or Path("cassettes"), opts.record_mode, secrets=(target.api_key,))
        return target, library, choice

    def run(self) -> list[Outcome]:
        assert self.session is not None and self.plan is not None, "open() first"
        self.outcomes = self.session.run(self.plan) if self.plan.units else []
        if self.options.fuzz:
            self.outcomes += self._fuzz()
        return self.outcomes

    def _fuzz_required(self) -> frozenset[str]:
        return frozenset(r.id for r in FUZZ_REQUIREMENTS if r.level(self.profile)) if self.options.fuzz else frozenset()

    def coverage(self) -> Coverage:
        """How much of the profile the outcomes checked: all of it, or (-k, a pytest selection) a part."""
        checked = {o.id for o in self.outcomes} & self.required
        narrowed = f"-k {self.options.keyword}" if self.options.keyword else ""
        return Coverage(len(checked), len(self.required), narrowed if len(checked) < len(self.required) else "")

    def _fuzz(self) -> list[Outcome]:
        """The FUZZ-* outcomes: schemathesis against the same target, or skipped on a replay."""
        assert self.session is not None and self.plan is not None
        target, profile = self.session.target, self.profile
        applying = [r for r in FUZZ_REQUIREMENTS if r.level(profile)]
        if target.kind == "replay":
            return [Outcome(r.id, r.level(profile) or "-", ", ".join(r.endpoints), r.statement, "fuzz", "skipped",
                            actual="fuzzing needs a live or reference target; schemathesis traffic is not recorded",
                            source=r.cited()) for r in applying]
        from ..fuzz import run_fuzz

        fuzzed = run_fuzz(target, self.options.fuzz_examples, model=self.plan.models[0],
                          messages_model=self.plan.messages_models[0])
        self.session.caller.cost.add(fuzzed.requests, fuzzed.input_tokens, fuzzed.output_tokens,
                                     unknown_usage=fuzzed.responses_without_usage)
        wanted = {r.id for r in applying}
        return [o for o in fuzzed.outcomes if o.id in wanted]

    @property
    def cost(self) -> Cost:
        return self.session.caller.cost if self.session else Cost()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
        if self.server is not None:
            self.server.stop()

"""The plan of a run: which checks apply, which models, and what it will cost, known before the first request.

A live certification is billed per request, so the plan is printed and can be
refused (`--max-requests`) before anything is sent. Its bound is hard: the
requests it counts, plus at most `retries` more attempts (rate limits waited
out, connections broken before any answer), never more. A model is part of a case's
identity: a model-dependent case runs once per model of the matrix (cases on
`/messages` once per `messages_models`), a model-independent case runs once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from ..catalogue.requirements import MESSAGES, get
from ..suite.case import Case, Check, Context
from ..wire.cost import plural
from ..wire.discovery import likely_messages_model
from ..wire.exchange import Request
from ..wire.target import MAX_RETRIES, Target

PROBE_TOKENS = 64  # the huge-limit probe asks for a one-word answer; its limit is no bound worth printing
RETRY_SHARE = 0.5  # the retries a run may make, as a share of its planned requests (at least MAX_RETRIES)


@dataclass(frozen=True)
class Unit:
    """One case run for one model (None: a case that does not depend on the model), and its selected checks."""

    case: Case
    model: str | None
    checks: tuple[Check, ...]
    reaches: str | None = None  # the model a model-independent case's requests reach (see Plan.reached)

    @property
    def upstream(self) -> str | None:
        """Whose capacity its requests use: its model, or the one a model-independent case reaches."""
        return self.model if self.model is not None else self.reaches

    @property
    def label(self) -> str:
        return self.case.id if self.model is None else f"{self.case.id}@{self.model}"


@dataclass
class Plan:
    """The units to run, in suite order, for the models of the run."""

    target: Target
    models: list[str]
    messages_models: list[str]
    units: list[Unit] = field(default_factory=list)
    matrix: bool = False  # models chosen with --models: a model an endpoint declines is "not supported" there
    discovery: int = 0  # requests already sent to choose the models (GET /models), counted in the plan
    retries: int = 0  # attempts beyond `requests` the run may make (those choosing the models are in `discovery`)

    @property
    def all_models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.models + self.messages_models))

    def context(self, unit: Unit) -> Context:
        """What the case's steps and checks know: its model (on /messages too), and every model of the run."""
        if unit.model is None:
            return Context(self.target, self.models[0], likely_messages_model(self.messages_models), self.all_models,
                           upstream=unit.upstream)
        return Context(self.target, unit.model, unit.model, self.all_models, upstream=unit.upstream)

    def reached(self, case: Case) -> str | None:
        """The model a model-independent case's request reaches: one of the run's, named with the right key.

        Such a case runs once, but an accepted request still goes to that model's upstream and takes one of its
        places; a refused one (no key, a wrong key, an unknown model) is answered by the gateway itself: None.
        Judged by the case's first request (a later step may depend on the answers before it).
        """
        if not case.steps:
            return None
        request = case.steps[0].planned(self.context(Unit(case, None, ())))
        body = request.json_body if request is not None else None
        named = body.get("model") if isinstance(body, dict) else None
        return named if named in self.all_models and request.auth in ("bearer", "x-api-key") else None

    def cassette(self, unit: Unit) -> str:
        """The cassette of a unit: `<case>` in a one-model recording, `<case>@<model>` in a matrix."""
        return unit.label if self.matrix and unit.model is not None else unit.case.id

    @property
    def requests(self) -> int:
        return self.discovery + sum(unit.case.most_requests for unit in self.units)

    def output_token_bound(self) -> int:
        """The output tokens the planned requests can ask for: their limits, times `n` where they ask for choices."""
        total = 0
        for unit in self.units:
            ctx = self.context(unit)
            total += sum(_asked_tokens(step.planned(ctx)) for step in unit.case.steps)
            if unit.case.perform is not None:
                total += PROBE_TOKENS
        return total

    def describe(self) -> str:
        per_model = sum(1 for u in self.units if u.model is not None)
        once = len(self.units) - per_model
        models = ", ".join(self.all_models)
        found = f" + {self.discovery} to check the models" if self.discovery else ""
        return (f"plan: {len(self.units)} {plural(len(self.units), 'case')} ({per_model} for {len(self.all_models)} "
                f"{plural(len(self.all_models), 'model')}: {models}; {once} once){found} = at most {self.requests} "
                f"{plural(self.requests, 'request')} and {self.output_token_bound()} output tokens, and at most "
                f"{self.retries} {plural(self.retries, 'retry', 'retries')} (rate limits, broken connections)")


def retry_bound(requests: int, max_requests: int | None = None) -> int:
    """The retries a plan of `requests` allows: a share of them (at least MAX_RETRIES), and never past
    --max-requests, which caps attempts, retries included."""
    bound = max(MAX_RETRIES, math.ceil(requests * RETRY_SHARE))
    return bound if max_requests is None else max(0, min(bound, max_requests - requests))


def _asked_tokens(request: Request | None) -> int:
    body = request.json_body if request is not None else None
    if not isinstance(body, dict):
        return 0
    limits = [v for k in ("max_tokens", "max_completion_tokens", "max_output_tokens")
              if isinstance(v := body.get(k), int) and not isinstance(v, bool)]
    asked = min(limits) if limits else PROBE_TOKENS
    choices = body.get("n") if isinstance(body.get("n"), int) and body.get("n", 0) > 0 else 1
    return min(asked, PROBE_TOKENS * 4) * choices


def select(cases: Sequence[Case], profile: str, keyword: Callable[[str], bool] | None = None) -> list[tuple[Case, tuple[Check, ...]]]:
    """The cases with the checks the profile asks for (and `-k` keeps), in suite order; cases left with none drop."""
    chosen = []
    for case in cases:
        checks = tuple(c for c in case.checks if get(c.requirement).level(profile) is not None
                       and (keyword is None or keyword(f"{c.requirement}@{case.id} {case.endpoint}")))
        if checks:
            chosen.append((case, checks))
    return chosen


def build(target: Target, chosen: Iterable[tuple[Case, tuple[Check, ...]]], models: list[str],
          messages_models: list[str], matrix: bool) -> Plan:
    plan = Plan(target, models, messages_models, matrix=matrix)
    for case, checks in chosen:
        if not case.per_model:
            plan.units.append(Unit(case, None, checks, plan.reached(case)))
            continue
        for model in (messages_models if case.endpoint == MESSAGES else models):
            plan.units.append(Unit(case, model, checks))
    return plan

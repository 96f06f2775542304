"""Which models a run tests: what the user asked for, and what `GET /models` lists when the choice needs it.

This is the one place that asks the target for its models. It sends requests,
so it sits with the wire, not in the plan: certify, load and the fuzz run all
choose their models here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from .exchange import Exchange, Request
from .target import Caller, TargetError


def models_answer(caller: Caller) -> Exchange:
    """`GET /models` as the first request of a run: the target is unusable when it is unreachable, keeps
    rate-limiting it, or refuses the key."""
    x = caller.call(Request("GET", "/models"))
    where = caller.target.base_url
    if x.failure:
        raise TargetError(f"{where} is unreachable: {x.failure}")
    if x.rate_limited:
        raise TargetError(f"{where} rate-limited GET /models past {caller.cost.retries} retries; try later")
    if x.status in (401, 403):
        raise TargetError(f"{where} refused the API key (HTTP {x.status} on GET /models)")
    return x


def discover_models(caller: Caller) -> list[str]:
    """The model ids `GET /models` lists, in its order; the target is unusable when it lists none."""
    x = models_answer(caller)
    body = x.json()
    data = body.get("data") if isinstance(body, dict) else None
    ids = [m.get("id") for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]
    if x.status != 200 or not ids:
        raise TargetError(f"no model to test: GET /models answered HTTP {x.status}; pass --model")
    return ids


def likely_messages_model(ids: Sequence[str]) -> str:
    """The model most likely served on the Anthropic-shaped /messages: a Claude model when there is one."""
    return next((i for i in ids if "claude" in i.lower()), ids[0])


@dataclass(frozen=True)
class ModelChoice:
    """What the user asked for: one model (today's run), or a matrix (`--models LIST|all`, `--models-match`)."""

    model: str | None = None
    messages_model: str | None = None
    models: tuple[str, ...] | None = None  # ("all",) for every listed model
    models_match: str | None = None
    messages_models: tuple[str, ...] | None = None

    @property
    def matrix(self) -> bool:
        return self.models is not None

    def resolve(self, caller: Caller | None, listed: Callable[[], list[str]] | None = None) -> tuple[list[str], list[str]]:
        """(models, messages models); asks `GET /models` only when a choice needs the list."""
        def catalogue() -> list[str]:
            return listed() if listed is not None else discover_models(caller)  # type: ignore[arg-type]

        if self.matrix:
            assert self.models is not None
            listed = catalogue()  # also for a given list: a model the gateway does not list is a typo, not a column
            models = listed if self.models == ("all",) else list(dict.fromkeys(self.models))
            unknown = [m for m in [*models, *(self.messages_models or ())] if m not in listed]
            if unknown:
                raise TargetError(f"GET /models does not list {', '.join(sorted(set(unknown)))}: check --models and "
                                  "--messages-models")
            if self.models_match:
                pattern = re.compile(self.models_match)
                models = [m for m in models if pattern.search(m)]
            if not models:
                raise TargetError("no model left to test: --models/--models-match selected none")
            messages = list(dict.fromkeys(self.messages_models)) if self.messages_models else models
            return models, messages
        if self.model:
            return [self.model], [self.messages_model or self.model]
        ids = catalogue()
        return [ids[0]], [self.messages_model or likely_messages_model(ids)]

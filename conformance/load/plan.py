"""What every load generator of a run needs to know, as plain data a master can send to its workers.

The API key is not part of it: each process reads its own (a worker on
another machine takes it from its own --api-key or CRUN_API_KEY), so the key
never crosses Locust's wire.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..catalogue import requirements
from ..catalogue.requirements import MESSAGES
from ..suite.case import Case, Check, Context
from ..wire.target import Target
from .mix import case_of


@dataclass(frozen=True)
class Entry:
    """One case of the mix: its --mix name, weight, the suite case, and the checks of it the profile asks for."""

    name: str
    weight: int
    case: Case
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class LoadPlan:
    """What a load run sends, to whom, with which models and mix (certify's plan is conformance/run/plan.py)."""

    base_url: str
    kind: str
    profile: str
    timeout_s: float
    models: tuple[str, ...]
    messages_model: str | None
    mix: tuple[tuple[str, int], ...]
    judge: bool = True  # False only for the benchmark's unchecked baseline

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> LoadPlan:
        return cls(**{**data, "models": tuple(data["models"]), "mix": tuple((n, int(w)) for n, w in data["mix"])})

    def target(self, api_key: str) -> Target:
        return Target(self.base_url, api_key, kind=self.kind, profile=self.profile, timeout_s=self.timeout_s)

    def contexts(self, target: Target) -> list[Context]:
        """One context per model; /messages uses --messages-model when given, else the model itself."""
        return [Context(target, model, self.messages_model or model) for model in self.models]

    @property
    def all_models(self) -> tuple[str, ...]:
        """Every model an answer can come from: the models, then the /messages models."""
        return tuple(dict.fromkeys([*self.models, *(self.messages_model or model for model in self.models)]))

    def models_of(self, entry: Entry) -> tuple[str, ...]:
        """The models an entry's answers come from: /messages answers come from the messages model."""
        if entry.case.endpoint != MESSAGES:
            return self.models
        return tuple(dict.fromkeys(self.messages_model or model for model in self.models))

    def entries(self) -> list[Entry]:
        out = []
        for name, weight in self.mix:
            case = case_of(name)
            checks = tuple(c for c in case.checks if requirements.get(c.requirement).level(self.profile))
            out.append(Entry(name, weight, case, checks))
        return out


def shares(total: int | None, parts: int) -> list[int | None]:
    """A request budget split over workers as evenly as whole numbers allow (None: no budget)."""
    if total is None:
        return [None] * parts
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]

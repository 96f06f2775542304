"""Which models a run tests: what the user asked for, checked against what `GET /models` lists.

This is the one place that asks the target for its models. It sends requests,
so it sits with the wire, not in the plan: certify, load and the fuzz run all
choose their models here. Every model option is checked before the first
request of the run: a model the gateway neither lists nor serves is a typo,
refused in one line that names the close matches; a model it does not list
but serves (one short request says so) goes on, and MODELS-002 will say the
list is incomplete. When the list cannot be used and every model was given,
the run goes on with a warning; a 404 on `GET /models` is a base URL without
its version path.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Sequence

from .exchange import Exchange, Request
from .target import BROKEN_BEFORE_RESPONSE, Caller, TargetError

CHAT, MESSAGES = "/chat/completions", "/messages"
PROBE_MAX_TOKENS = 16  # the one short request that asks whether an unlisted model is served


class UnlistedModel(TargetError):
    """A model option names a model the gateway neither lists nor serves: a usage error, exit code 2."""


@dataclass(frozen=True)
class Listing:
    """What `GET /models` gave: its ids in order, or None and why the list cannot be used."""

    ids: tuple[str, ...] | None
    problem: str = ""
    key_refused: bool = False


def list_models(caller: Caller) -> Listing:
    """`GET /models` as the first request of a run.

    The target cannot be certified at all (TargetError) when it cannot be reached (no connection, or no answer
    within the deadline), when it answers 404 (the API is not under this base URL) or when it rate-limits the
    request past its retries; any other answer without a usable list (a refused key, garbage, a broken
    connection) is a Listing without ids, and why."""
    x = caller.call(Request("GET", "/models"))
    where = caller.target.base_url
    if x.failure and x.status is None and not x.failure.startswith(BROKEN_BEFORE_RESPONSE):
        raise TargetError(f"{where} is unreachable: {x.failure}")
    if x.status == 404:
        raise TargetError(f"GET {where}/models answered HTTP 404: does --base-url include the version path "
                          "(…/api/v1, …/v1)?")
    if x.rate_limited:
        raise TargetError(f"{where} rate-limited every request (GET /models, the first, past {caller.cost.retries} "
                          "retries): try later")
    if x.failure:
        return Listing(None, f"GET /models failed ({x.failure})")
    if x.status in (401, 403):
        return Listing(None, f"{where} refused the API key (HTTP {x.status} on GET /models)", key_refused=True)
    body = x.json()
    data = body.get("data") if isinstance(body, dict) else None
    ids = tuple(m.get("id") for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str))
    if x.status != 200 or not ids:
        return Listing(None, f"GET /models answered HTTP {x.status} without a list of models")
    return Listing(ids)


def discover_models(caller: Caller) -> list[str]:
    """The model ids `GET /models` lists, in its order; the target is unusable when it lists none."""
    listing = list_models(caller)
    if listing.ids is None:
        raise TargetError(f"no model to test: {listing.problem}; pass --model")
    return list(listing.ids)


def likely_messages_model(ids: Sequence[str]) -> str:
    """The model most likely served on the Anthropic-shaped /messages: a Claude model when there is one."""
    return next((i for i in ids if "claude" in i.lower()), ids[0])


def close_matches(name: str, ids: Sequence[str]) -> str:
    """The listed ids a mistyped `name` most likely meant, as the end of a one-line error."""
    found = difflib.get_close_matches(name, ids, n=3, cutoff=0.5)
    if found:
        return f"did you mean {', '.join(found)}?"
    return f"it lists {len(ids)}: {', '.join(ids[:5])}" + (", …" if len(ids) > 5 else "")


def served(caller: Caller, model: str, path: str) -> bool:
    """Whether the gateway serves a model it does not list: one short request, refused only when the refusal is
    about the model (a 404, or a 4xx whose error names the model), so a refusal of anything else goes on."""
    body: dict = {"model": model, "max_tokens": PROBE_MAX_TOKENS, "messages": [{"role": "user", "content": "Say OK."}]}
    return not _refuses_model(caller.call(Request("POST", path, body)), model)


def _refuses_model(x: Exchange, model: str) -> bool:
    if x.status == 404:
        return True
    if x.status is None or not 400 <= x.status < 500 or x.status in (401, 403, 429):
        return False
    body = x.json()
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    text = x.body.decode("utf-8", "replace")
    return model in text or error.get("param") == "model" or "model" in str(error.get("code") or "")


@dataclass(frozen=True)
class Chosen:
    """The models a run tests, those it tests on /messages, and what the user should know about the choice."""

    models: list[str]
    messages_models: list[str]
    warnings: list[str] = field(default_factory=list)


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

    @property
    def needs_list(self) -> bool:
        """Whether the models come from `GET /models` (no --model, or --models all) rather than from the user."""
        return self.models == ("all",) or (not self.matrix and not self.model)

    def given(self) -> list[tuple[str, str, str]]:
        """Every model the user named: (option, model, the endpoint it is used on)."""
        if self.matrix:
            named = [("--models", m, CHAT) for m in self.models or () if self.models != ("all",)]
            return named + [("--messages-models", m, MESSAGES) for m in self.messages_models or ()]
        return ([("--model", self.model, CHAT)] if self.model else []) + (
            [("--messages-model", self.messages_model, MESSAGES)] if self.messages_model else [])

    def resolve(self, caller: Caller | None, key_must_work: bool = False) -> Chosen:
        """The models to test: `GET /models` asked once, every model option checked against it (without a caller,
        a replay's: the models given, unchecked). `key_must_work`: a key GET /models refuses stops the run even when
        every model was given (load, whose every request would be refused; certify judges the refusal instead)."""
        if caller is None and self.needs_list:
            raise TargetError("no model to test: name the models (--model, --models LIST)")
        warnings: list[str] = []
        ids: tuple[str, ...] = ()
        if caller is not None:
            listing = list_models(caller)
            if listing.ids is not None:
                ids = listing.ids
                warnings += self._check(caller, ids)
            elif listing.key_refused and (self.needs_list or key_must_work):
                raise TargetError(listing.problem)
            elif self.needs_list:
                raise TargetError(f"no model to test: {listing.problem}; name the models with "
                                  + ("--models LIST" if self.matrix else "--model"))
            else:
                warnings.append(f"{listing.problem}: the models given are not checked against it; going on")
        if self.matrix:
            models = list(ids) if self.models == ("all",) else list(dict.fromkeys(self.models or ()))
            if self.models_match:
                pattern = re.compile(self.models_match)
                models = [m for m in models if pattern.search(m)]
            if not models:
                raise TargetError("no model left to test: --models/--models-match selected none")
            messages = list(dict.fromkeys(self.messages_models)) if self.messages_models else models
            return Chosen(models, messages, warnings)
        model = self.model or ids[0]
        return Chosen([model], [self.messages_model or (self.model or likely_messages_model(ids))], warnings)

    def _check(self, caller: Caller, ids: tuple[str, ...]) -> list[str]:
        """A warning for each named model the gateway serves without listing it; UnlistedModel for one it does not
        serve either."""
        warnings = []
        for option, model, path in dict.fromkeys(self.given()):
            if model in ids:
                continue
            if not served(caller, model, path):
                raise UnlistedModel(f"GET /models does not list {model} ({option}), and POST {path} refuses it: "
                                    + close_matches(model, ids))
            warnings.append(f"GET /models does not list {model} ({option}), though POST {path} serves it; going on "
                            "(MODELS-002 will fail)")
        return warnings

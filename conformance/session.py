"""One certification run: the target, its models, each case's exchanges made once, and the outcomes.

Data flows one way: the session calls the target for a case (once, however
many checks read it), hands the exchanges to a check, and keeps the outcome.
It knows nothing of pytest; the plugin maps outcomes onto test results.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from typing import Any, Callable, ContextManager

from . import requirements
from .cassettes import ReplayMismatch
from .exchange import Exchange, Request, mask
from .outcome import Outcome
from .suite.case import MAX_VIOLATIONS, Case, Check, Context, Failed, Skipped, Unsupported
from .target import Caller, Target, TargetError

CassetteFor = Callable[[str], ContextManager[Any]]


def discover_models(caller: Caller) -> tuple[str, str]:
    """Pick the models to test from `GET /models`: the first listed, and a Claude model for /messages if any."""
    x = caller.call(Request("GET", "/models"))
    where = caller.target.base_url
    if x.failure:
        raise TargetError(f"{where} is unreachable: {x.failure}")
    if x.status in (401, 403):
        raise TargetError(f"{where} refused the API key (HTTP {x.status} on GET /models)")
    body = x.json()
    data = body.get("data") if isinstance(body, dict) else None
    ids = [m.get("id") for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]
    if x.status != 200 or not ids:
        raise TargetError(f"no model to test: GET /models answered HTTP {x.status}; pass --model")
    claude = next((i for i in ids if "claude" in i.lower()), ids[0])
    return ids[0], claude


class ConformanceSession:
    def __init__(self, target: Target, cassette_for: CassetteFor | None = None) -> None:
        self.target = target
        self.caller = Caller(target)
        self.cassette_for = cassette_for or (lambda name: contextlib.nullcontext())
        self.outcomes: list[Outcome] = []
        self._exchanges: dict[str, tuple[list[Any], float]] = {}
        self._context: Context | None = None

    @property
    def context(self) -> Context:
        if self._context is None:
            model, messages_model = self.target.model, self.target.messages_model
            if not model:
                found, claude = discover_models(self.caller)
                model, messages_model = found, messages_model or claude
            self._context = Context(self.target, model, messages_model or model)
        return self._context

    def exchanges(self, case: Case) -> tuple[list[Any], float]:
        """The case's exchanges, made on first use and shared by all its checks."""
        if case.id not in self._exchanges:
            started = time.monotonic()
            with self.cassette_for(case.id):
                made = case.run(self.caller, self.context)
            self._exchanges[case.id] = (made, time.monotonic() - started)
        return self._exchanges[case.id]

    def judge(self, case: Case, check: Check) -> Outcome:
        requirement = requirements.get(check.requirement)
        outcome = Outcome(id=requirement.id, level=requirement.level(self.target.profile) or "-",
                          endpoint=case.endpoint, statement=requirement.statement, case=case.id, outcome="passed",
                          source=requirement.cited())
        made: list[Any] = []
        spent = judging = 0.0
        try:
            made, spent = self.exchanges(case)
            if not made:
                raise Failed("a request to be made", "the case made no request")
            started = time.monotonic()
            check.judge(made, self.context)
            judging = time.monotonic() - started
        except Failed as exc:
            outcome.outcome, outcome.expected, outcome.actual = "failed", exc.expected, exc.actual
            outcome.set_violations(exc.violations, MAX_VIOLATIONS)
        except Unsupported as exc:
            outcome.outcome, outcome.actual = "skipped", f"not supported: {exc}"
        except Skipped as exc:
            outcome.outcome, outcome.actual = "skipped", str(exc)
        except TargetError:
            raise
        except ReplayMismatch as exc:
            outcome.outcome, outcome.actual = "error", str(exc)
        except Exception as exc:  # the check itself broke: report it as an error, not a verdict on the server
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            outcome.outcome = "error"
            outcome.actual = f"{type(exc).__name__}: {exc} (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
        outcome.duration_s = round(spent + judging, 4)
        if outcome.outcome in ("failed", "error"):
            outcome.exchange = "\n".join(x.summary() for x in made if isinstance(x, Exchange))
        secrets = self.context.never_echoed
        outcome.expected, outcome.actual, outcome.exchange = (
            mask(text, *secrets) for text in (outcome.expected, outcome.actual, outcome.exchange))
        outcome.violations = [mask(text, *secrets) for text in outcome.violations]
        self.outcomes.append(outcome)
        return outcome

    def close(self) -> None:
        self.caller.close()

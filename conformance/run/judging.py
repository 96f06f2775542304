"""One check over one case's exchanges, as an Outcome: the judging certify's session and load's users share.

Pure apart from the clock: it calls the suite's check function on what the
case made and turns what it raised into passed, failed (expected, actual,
violations, the exchange), skipped or error, every text masked of the keys.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from ..catalogue import requirements
from ..outcomes.outcome import Outcome
from ..outcomes.verdict import ERROR, FAILED, NOT_JUDGED, NOT_SUPPORTED, PASSED
from ..suite.case import MAX_VIOLATIONS, Case, Check, Context, Failed, NotJudged, Skipped, Unsupported
from ..wire.exchange import Exchange, ReplayMismatch, mask


def blank(requirement_id: str, case: Case, model: str | None, profile: str) -> Outcome:
    """A passed outcome of a requirement on a case, with the catalogue's facts (level in the profile, statement, source)."""
    requirement = requirements.get(requirement_id)
    return Outcome(id=requirement.id, level=requirement.level(profile) or "-", endpoint=case.endpoint,
                   statement=requirement.statement, case=case.id, outcome=PASSED, model=model,
                   source=requirement.cited())


def judge(case: Case, check: Check, made: list[Any], ctx: Context, model: str | None, spent: float = 0.0) -> Outcome:
    """One check over a case's exchanges (or the exception that stopped the case, first in `made`)."""
    outcome = blank(check.requirement, case, model, ctx.profile)
    started = time.monotonic()
    try:
        if made and isinstance(made[0], Exception):
            raise made[0]
        if not made:
            raise Failed("a request to be made", "the case made no request")
        limited = [x for x in made if getattr(x, "rate_limited", False)]
        if limited:
            raise RateLimited(limited[-1])
        check.judge(made, ctx)
    except Failed as exc:
        outcome.outcome, outcome.expected, outcome.actual = FAILED, exc.expected, exc.actual
        outcome.set_violations(exc.violations, MAX_VIOLATIONS)
    except Unsupported as exc:
        outcome.skip(NOT_SUPPORTED, str(exc))
    except NotJudged as exc:
        outcome.skip(NOT_JUDGED, str(exc))
    except Skipped as exc:
        outcome.skip("", str(exc))
    except (ReplayMismatch, RateLimited) as exc:
        outcome.outcome, outcome.actual = ERROR, str(exc)
    except Exception as exc:  # the check itself broke: report it as an error, not a verdict on the server
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        outcome.outcome = ERROR
        outcome.actual = f"{type(exc).__name__}: {exc} (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
    outcome.duration_s = round(spent + time.monotonic() - started, 4)
    if outcome.failing:
        outcome.exchange = "\n".join(x.summary() for x in exchanges_of(made))
    secrets = ctx.secrets
    outcome.expected, outcome.actual, outcome.exchange = (
        mask(text, *secrets) for text in (outcome.expected, outcome.actual, outcome.exchange))
    outcome.violations = [mask(text, *secrets) for text in outcome.violations]
    return outcome


class RateLimited(Exception):
    """The case's request stayed rate-limited after every retry: the check could not be judged."""

    def __init__(self, limited: Any) -> None:
        response = getattr(getattr(limited, "error", None), "response", None)  # an SDK call's error keeps it
        status = getattr(limited, "status", None) or getattr(response, "status_code", None)
        super().__init__(f"rate-limited: HTTP {status} after the caller's retries; nothing to judge")


def exchanges_of(made: list[Any]) -> list[Exchange]:
    """The raw exchanges of a case: its requests' own, or those an SDK call recorded (listed before its result)."""
    return [item for item in made if isinstance(item, Exchange)]

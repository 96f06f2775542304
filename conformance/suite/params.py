"""PARAMS: out-of-range, missing and malformed parameters never crash the server, and are refused cleanly.

The pages state ranges, not what a gateway does outside them: a crash is a
failure (PARAM-001, MUST), a value served anyway (clamped) misses only the
refusal (PARAM-004, SHOULD). The refusal's form (PARAM-002/003) is judged only
when there is a refusal, a 4xx: a 2xx is PARAM-004's to judge, a 5xx PARAM-001's.
"""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Check, Context, Failed, Skipped, check
from .expect import answered, openai_error, show, status


def refusal(x: Exchange, what: str = "the request") -> Exchange:
    """The answer, when it is a refusal (a 4xx); anything else leaves the refusal's form nothing to judge."""
    answered(x)
    if not 400 <= x.status < 500:
        raise Skipped(f"{what} was not refused (HTTP {x.status}): no refusal to judge")
    return x


@check("PARAM-001")
def refused_not_crashed(x: Exchange, ctx: Context) -> None:
    status(x, lambda s: s < 500, "no 5xx for a bad parameter")


@check("PARAM-004")
def refused(x: Exchange, ctx: Context) -> None:
    status(x, lambda s: 400 <= s < 500, "a 4xx refusal of the bad parameter, not an answer")


@check("PARAM-002")
def refusal_is_openai_error(x: Exchange, ctx: Context) -> None:
    openai_error(refusal(x))


def names_param(field: str | None) -> Check:
    """PARAM-003 for one field: a refusal is a 400 whose `error.param` is that field (None: just a 400, as for bad
    JSON)."""

    def fn(x: Exchange, ctx: Context) -> None:
        status(refusal(x), {400}, "400 for a bad parameter")
        if field is None:
            return
        error = openai_error(x)
        if error.get("param") != field:
            raise Failed(f'error.param "{field}"', show(error.get("param")))

    return Check("PARAM-003", fn)

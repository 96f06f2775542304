"""PARAMS: out-of-range, missing and malformed parameters are refused cleanly, naming the field."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Check, Context, Failed, check
from .expect import client_error, openai_error, show, status


@check("PARAM-001")
def refused_not_crashed(x: Exchange, ctx: Context) -> None:
    status(x, lambda s: s < 500, "no 5xx for a bad parameter")
    client_error(x)


@check("PARAM-002")
def refusal_is_openai_error(x: Exchange, ctx: Context) -> None:
    client_error(x)
    openai_error(x)


def names_param(field: str | None) -> Check:
    """PARAM-003 for one field: a 400 whose `error.param` is that field (None: just a 400, as for bad JSON)."""

    def fn(x: Exchange, ctx: Context) -> None:
        status(x, {400}, "400 for a bad parameter")
        if field is None:
            return
        error = openai_error(x)
        if error.get("param") != field:
            raise Failed(f'error.param "{field}"', show(error.get("param")))

    return Check("PARAM-003", fn)

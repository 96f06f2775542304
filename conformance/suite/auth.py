"""AUTH: both key headers work, a missing or wrong key is refused, and no key is ever echoed."""

from __future__ import annotations

from ..exchange import Exchange
from .case import Context, Failed, check
from .expect import error_for, ok, show, status


@check("AUTH-001")
def bearer_accepted(x: Exchange, ctx: Context) -> None:
    ok(x)


@check("AUTH-002")
def x_api_key_accepted(x: Exchange, ctx: Context) -> None:
    ok(x)


@check("AUTH-003")
def missing_key_refused(x: Exchange, ctx: Context) -> None:
    status(x, {401}, "401 for a request without a key")
    error_for(x.request.path)(x)


@check("AUTH-004")
def wrong_key_refused(x: Exchange, ctx: Context) -> None:
    status(x, {401}, "401 for a wrong key")


@check("AUTH-005")
def key_not_echoed(x: Exchange, ctx: Context) -> None:
    body = x.body.decode("utf-8", "replace")
    for secret in ctx.never_echoed:
        if secret in body:
            at = body.index(secret)
            raise Failed("no API key in the response body",
                         f"a key at byte {at}: {show(body[max(0, at - 40):at] + '[KEY]')}")

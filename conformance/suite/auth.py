"""AUTH: both key headers work, a missing or wrong key is refused, and no key is ever echoed."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .expect import error_for, ok, show, status


@check("AUTH-001")
def bearer_accepted(x: Exchange, ctx: Context) -> None:
    ok(x)


@check("AUTH-002")
def x_api_key_accepted(x: Exchange, ctx: Context) -> None:
    """Judged on a real, minimal request: a gateway may take the key for a request it refuses anyway (an unknown
    model) and still refuse it for every request it would serve."""
    ok(x)


def _refused(x: Exchange, expected: str) -> None:
    """401, with a body in the endpoint's error form: the client's SDK reads the error from it."""
    status(x, {401}, expected)
    error_for(x.request.path)(x)


@check("AUTH-003")
def missing_key_refused(x: Exchange, ctx: Context) -> None:
    _refused(x, "401 for a request without a key")


@check("AUTH-004")
def wrong_key_refused(x: Exchange, ctx: Context) -> None:
    _refused(x, "401 for a wrong key")


@check("AUTH-005")
def key_not_echoed(x: Exchange, ctx: Context) -> None:
    body = x.body.decode("utf-8", "replace")
    for secret in ctx.never_echoed:
        if secret in body:
            at = body.index(secret)
            raise Failed("no API key in the response body",
                         f"a key at byte {at}: {show(body[max(0, at - 40):at] + '[KEY]')}")


@check("AUTH-006")
def wrong_x_api_key_refused(x: Exchange, ctx: Context) -> None:
    _refused(x, "401 for a wrong key in X-API-KEY")

"""AUTH: both key headers work, a missing or wrong key is refused, and no key is ever echoed."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..wire.exchange import Exchange, Request
from .case import Context, Failed, Step, check
from .expect import error_for, ok, show, status

AUTH_REFUSED = (401, 403)


def authenticated_by_refusal(earlier: Sequence[Exchange]) -> bool:
    """Whether two answers about an unknown model prove `X-API-KEY` authenticates, with nothing generated.

    The first request names an unknown model with no key, the second with the key in `X-API-KEY`. When the
    keyless one is refused with 401 (this endpoint checks keys before models) and the keyed one is answered
    with anything but an auth refusal or a 5xx (say, 404 for the model), the key was accepted. A gateway that
    looks up models first, refuses the model for this key, or crashes leaves it open: a real request decides.
    """
    if len(earlier) < 2:
        return False
    keyless, keyed = earlier[0], earlier[1]
    return (keyless.status == 401 and keyed.status is not None and keyed.status < 500
            and keyed.status not in AUTH_REFUSED)


def x_api_key_fallback(method: str, path: str, body: Callable[[Context], Any]) -> Step:
    """The step after the two unknown-model probes: a real request with `X-API-KEY`, only when they left it open."""

    def build(ctx: Context, earlier: Sequence[Exchange]) -> Request | None:
        return None if authenticated_by_refusal(earlier) else Request(method, path, body(ctx), auth="x-api-key")

    return Step(build)


@check("AUTH-001")
def bearer_accepted(x: Exchange, ctx: Context) -> None:
    ok(x)


@check("AUTH-002", whole=True)
def x_api_key_accepted(xs: list[Exchange], ctx: Context) -> None:
    """GET /models answers 2xx; on a POST endpoint, the unknown-model probes prove it, or the real request does."""
    if authenticated_by_refusal(xs):
        return
    ok(xs[-1])


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

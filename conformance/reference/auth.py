"""Who may call: `Authorization: Bearer KEY` or `X-API-KEY: KEY` (Anthropic's `x-api-key` is the same header)."""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request

from .config import ReferenceConfig
from .errors import ApiError, unauthorized
from .faults import (
    BEARER_ONLY,
    KEY_ECHOED,
    MODELS_BEARER_REFUSED,
    NO_AUTH,
    NO_KEY_500,
    WRONG_KEY_ACCEPTED,
    WRONG_KEY_DETAIL_BODY,
    X_API_KEY_ANY_VALUE,
    X_API_KEY_PROBE_ONLY,
    Crash,
    Fault,
)


def bearer_key(request: Request, faults: frozenset[Fault] = frozenset()) -> str | None:
    """The key of `Authorization: Bearer KEY`, if the request presents one."""
    authorization = request.headers.get("authorization")
    if not authorization or MODELS_BEARER_REFUSED in faults and request.url.path.endswith("/models"):
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def x_api_key(request: Request, faults: frozenset[Fault] = frozenset()) -> str | None:
    """The key of `X-API-KEY: KEY` (header names are case-insensitive), if the request presents one."""
    api_key = request.headers.get("x-api-key")
    return api_key.strip() if api_key and api_key.strip() and BEARER_ONLY not in faults else None


def presented_keys(request: Request, faults: frozenset[Fault] = frozenset()) -> list[str]:
    """Every key the request presents, from either header."""
    return [key for key in (bearer_key(request, faults), x_api_key(request, faults)) if key is not None]


def _right(key: str | None, config: ReferenceConfig) -> bool:
    return key is not None and hmac.compare_digest(key.encode(), config.api_key.encode())


def authenticate(request: Request) -> ReferenceConfig:
    """The app's config when a presented key is right; a 401 otherwise."""
    config: ReferenceConfig = request.app.state.config
    faults = config.faults
    keys = presented_keys(request, faults)
    if NO_AUTH in faults or keys and WRONG_KEY_ACCEPTED in faults:
        return config
    if X_API_KEY_ANY_VALUE in faults and x_api_key(request, faults) is not None:
        return config
    if not keys and NO_KEY_500 in faults:
        raise Crash("no key presented")
    if not any(_right(key, config) for key in keys):
        if keys and WRONG_KEY_DETAIL_BODY in faults:
            raise ApiError(401, "Invalid token", body={"detail": "Invalid token"})
        error = unauthorized(sent_key=bool(keys))
        if keys and KEY_ECHOED in faults:
            error.message += f" You sent {keys[0]!r}."
        raise error
    if request.method != "POST":
        x_api_key_probe_only(request, None)
    return config


def x_api_key_probe_only(request: Request, body: dict[str, Any] | None) -> None:
    """`x_api_key_probe_only`: a key that only `X-API-KEY` presents is taken for a request about a model the server
    does not serve (which its lookup then refuses with 404), and refused with 401 for any other request (no body, or
    a model it serves). Called once the body is read (validation.read_json), and by `authenticate` for a GET."""
    config: ReferenceConfig = request.app.state.config
    if X_API_KEY_PROBE_ONLY not in config.faults or _right(bearer_key(request, config.faults), config):
        return
    model = body.get("model") if body is not None else None
    if not isinstance(model, str) or config.model(model) is not None:
        raise unauthorized(sent_key=True)

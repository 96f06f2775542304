"""Who may call: `Authorization: Bearer KEY` or `X-API-KEY: KEY` (Anthropic's `x-api-key` is the same header)."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from .config import ReferenceConfig
from .errors import unauthorized
from .faults import BEARER_ONLY, KEY_ECHOED, MODELS_BEARER_REFUSED, NO_AUTH, NO_KEY_500, WRONG_KEY_ACCEPTED, Crash, Fault


def presented_keys(request: Request, faults: frozenset[Fault] = frozenset()) -> list[str]:
    """Every key the request presents, from either header (header names are case-insensitive)."""
    keys = []
    authorization = request.headers.get("authorization")
    bearer_read = MODELS_BEARER_REFUSED not in faults or not request.url.path.endswith("/models")
    if authorization and bearer_read:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            keys.append(token.strip())
    api_key = request.headers.get("x-api-key")
    if api_key and api_key.strip() and BEARER_ONLY not in faults:
        keys.append(api_key.strip())
    return keys


def authenticate(request: Request) -> ReferenceConfig:
    """The app's config when a presented key is right; a 401 otherwise."""
    config: ReferenceConfig = request.app.state.config
    faults = config.faults
    keys = presented_keys(request, faults)
    expected = config.api_key.encode()
    if NO_AUTH in faults or keys and WRONG_KEY_ACCEPTED in faults:
        return config
    if not keys and NO_KEY_500 in faults:
        raise Crash("no key presented")
    if not any(hmac.compare_digest(key.encode(), expected) for key in keys):
        error = unauthorized(sent_key=bool(keys))
        if keys and KEY_ECHOED in faults:
            error.message += f" You sent {keys[0]!r}."
        raise error
    return config

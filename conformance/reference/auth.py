"""Who may call: `Authorization: Bearer KEY` or `X-API-KEY: KEY` (Anthropic's `x-api-key` is the same header)."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from .config import ReferenceConfig
from .errors import Crash, unauthorized


def presented_keys(request: Request, faults: frozenset[str] = frozenset()) -> list[str]:
    """Every key the request presents, from either header (header names are case-insensitive)."""
    keys = []
    authorization = request.headers.get("authorization")
    bearer_read = "models_bearer_refused" not in faults or not request.url.path.endswith("/models")
    if authorization and bearer_read:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            keys.append(token.strip())
    api_key = request.headers.get("x-api-key")
    if api_key and api_key.strip() and "bearer_only" not in faults:
        keys.append(api_key.strip())
    return keys


def authenticate(request: Request) -> ReferenceConfig:
    """The app's config when a presented key is right; a 401 otherwise."""
    config: ReferenceConfig = request.app.state.config
    faults = config.faults
    keys = presented_keys(request, faults)
    expected = config.api_key.encode()
    if "no_auth" in faults or keys and "wrong_key_accepted" in faults:
        return config
    if not keys and "no_key_500" in faults:
        raise Crash("no key presented")
    if not any(hmac.compare_digest(key.encode(), expected) for key in keys):
        error = unauthorized(sent_key=bool(keys))
        if keys and "key_echoed" in faults:
            error.message += f" You sent {keys[0]!r}."
        raise error
    return config

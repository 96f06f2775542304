"""Who may call: `Authorization: Bearer KEY` or `X-API-KEY: KEY` (Anthropic's `x-api-key` is the same header)."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from .config import ReferenceConfig
from .errors import unauthorized


def presented_keys(request: Request) -> list[str]:
    """Every key the request presents, from either header (header names are case-insensitive)."""
    keys = []
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            keys.append(token.strip())
    api_key = request.headers.get("x-api-key")
    if api_key and api_key.strip():
        keys.append(api_key.strip())
    return keys


def authenticate(request: Request) -> ReferenceConfig:
    """The app's config when a presented key is right; a 401 otherwise."""
    config: ReferenceConfig = request.app.state.config
    keys = presented_keys(request)
    expected = config.api_key.encode()
    if not any(hmac.compare_digest(key.encode(), expected) for key in keys):
        raise unauthorized(sent_key=bool(keys))
    return config

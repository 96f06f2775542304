"""The request bodies the suite sends: small, deterministic, cheap.

Bodies hold no random values so cassettes match on replay, and every
generating request caps its output, because a live run is billed per request
and per token.
"""

from __future__ import annotations

from typing import Any

from .case import Context

PROMPT = "Reply with one short sentence about keyboards."
MAX_TOKENS = 24
MAX_OUTPUT_TOKENS = 32  # OpenAI's Responses API refuses max_output_tokens below 16
UNKNOWN_MODEL = "crun-conformance-no-such-model"

PATHS = {
    "GET /models": "/models",
    "POST /chat/completions": "/chat/completions",
    "POST /completions": "/completions",
    "POST /responses": "/responses",
    "POST /messages": "/messages",
}


def chat(ctx: Context, **fields: Any) -> dict:
    return {"model": ctx.model, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": MAX_TOKENS, **fields}


def completion(ctx: Context, **fields: Any) -> dict:
    return {"model": ctx.model, "prompt": PROMPT, "max_tokens": MAX_TOKENS, **fields}


def response(ctx: Context, **fields: Any) -> dict:
    return {"model": ctx.model, "input": PROMPT, "max_output_tokens": MAX_OUTPUT_TOKENS, **fields}


def message(ctx: Context, **fields: Any) -> dict:
    return {"model": ctx.messages_model, "max_tokens": MAX_TOKENS,
            "messages": [{"role": "user", "content": PROMPT}], **fields}


BODIES = {
    "POST /chat/completions": chat,
    "POST /completions": completion,
    "POST /responses": response,
    "POST /messages": message,
}


def minimal(endpoint: str):
    """A function of the context giving the smallest valid body for an endpoint (None for GET)."""
    build = BODIES.get(endpoint)
    return None if build is None else (lambda ctx: build(ctx))

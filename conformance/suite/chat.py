"""CHAT: the non-streaming chat completion: shape, `n`, `max_tokens`, usage, caps."""

from __future__ import annotations

from ..exchange import Exchange
from .case import Context, Failed, check
from .expect import show, success_body, usage_adds_up


def _completion(x: Exchange) -> dict:
    return success_body(x, "ChatCompletion")


@check("CHAT-001")
def chat_completion_shape(x: Exchange, ctx: Context) -> None:
    _completion(x)


@check("CHAT-002")
def n_choices(x: Exchange, ctx: Context) -> None:
    indexes = sorted(c.get("index") for c in _completion(x)["choices"])
    if indexes != [0, 1]:
        raise Failed("two choices with index 0 and 1", f"indexes {indexes}")


@check("CHAT-003")
def max_tokens_cuts(x: Exchange, ctx: Context) -> None:
    body = _completion(x)
    reasons = [c.get("finish_reason") for c in body["choices"]]
    if reasons != ["length"]:
        raise Failed('finish_reason "length" for max_tokens: 1', show(reasons))
    used = (body.get("usage") or {}).get("completion_tokens")
    if not isinstance(used, int) or used > 1:
        raise Failed("completion_tokens <= 1", show(used))


@check("CHAT-004")
def chat_usage_adds_up(x: Exchange, ctx: Context) -> None:
    usage_adds_up(_completion(x).get("usage"), "prompt_tokens", "completion_tokens", "usage")


@check("CHAT-005")
def huge_max_tokens_capped(x: Exchange, ctx: Context) -> None:
    _completion(x)

"""CHAT: the non-streaming chat completion: shape, `n`, `max_tokens`, usage, caps."""

from __future__ import annotations

from ..wire.exchange import Exchange
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


def cut_at_one_token(x: Exchange, limit: str) -> None:
    """A limit of 1 (`max_tokens` or `max_completion_tokens`) cuts: finish_reason "length", one token at most."""
    body = _completion(x)
    reasons = [c.get("finish_reason") for c in body["choices"]]
    if reasons != ["length"]:
        raise Failed(f'finish_reason "length" for {limit}: 1', show(reasons))
    used = (body.get("usage") or {}).get("completion_tokens")
    if not isinstance(used, int) or used > 1:
        raise Failed("completion_tokens <= 1", show(used))


@check("CHAT-003")
def max_tokens_cuts(x: Exchange, ctx: Context) -> None:
    cut_at_one_token(x, "max_tokens")


@check("CHAT-004")
def chat_usage_adds_up(x: Exchange, ctx: Context) -> None:
    usage_adds_up(_completion(x).get("usage"), "prompt_tokens", "completion_tokens", "usage")


HUGE_MAX_TOKENS = 1_000_000


@check("CHAT-005")
def huge_max_tokens_capped(x: Exchange, ctx: Context) -> None:
    body = _completion(x)
    choice = body["choices"][0]
    reason, used = choice.get("finish_reason"), (body.get("usage") or {}).get("completion_tokens")
    if reason not in ("stop", "length"):
        raise Failed('finish_reason "stop" (a natural end) or "length" (the model\'s cap)', show(reason))
    if not isinstance(used, int) or not 0 < used <= HUGE_MAX_TOKENS:
        raise Failed(f"completion_tokens from 1 to the {HUGE_MAX_TOKENS} asked for", show(used))
    if not (choice.get("message") or {}).get("content"):
        raise Failed("an answer with text, capped or complete", show(choice.get("message")))

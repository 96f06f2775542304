"""MESSAGES: the Anthropic-compatible message object, its required `max_tokens`, and bad parameters refused."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .expect import anthropic_error, show, status, success_body

STOP_REASONS = ("end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal")


@check("MSG-001")
def message_shape(x: Exchange, ctx: Context) -> None:
    body = success_body(x, "Message")
    if body.get("type") != "message" or body.get("role") != "assistant":
        raise Failed('type "message" and role "assistant"', show({k: body.get(k) for k in ("type", "role")}))
    if body.get("stop_reason") not in STOP_REASONS:
        raise Failed(f"stop_reason one of {STOP_REASONS}", show(body.get("stop_reason")))


@check("MSG-002")
def max_tokens_required(x: Exchange, ctx: Context) -> None:
    status(x, {400}, "400 for a message request without max_tokens")
    anthropic_error(x)


@check("MSG-003")
def bad_parameter_refused(x: Exchange, ctx: Context) -> None:
    status(x, {400}, "400 for a bad parameter on /messages")
    error = anthropic_error(x)
    if error.get("type") != "invalid_request_error":
        raise Failed('error.type "invalid_request_error"', show(error.get("type")))

"""MESSAGES: the Anthropic-compatible message object, its required `max_tokens`, and bad parameters refused."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, NotJudged, Violations, check
from .evidence import CUT_LIMIT, STOP, ends_before_stop, reached_limit, stop_problems, stream_to_judge
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


def _capped(used: object, stop_reason: object, where: str) -> None:
    """`max_tokens` is an absolute maximum: output_tokens <= the limit, and an answer that reached it says so."""
    if not isinstance(used, int) or isinstance(used, bool) or used > CUT_LIMIT:
        raise Failed(f"{where} output_tokens <= max_tokens ({CUT_LIMIT})", show(used))
    reached_limit(used, CUT_LIMIT, "output_tokens", 'stop_reason "max_tokens"')
    if stop_reason != "max_tokens":
        raise Failed(f'stop_reason "max_tokens" for an answer that reached max_tokens ({CUT_LIMIT})', show(stop_reason))


@check("MSG-011")
def max_tokens_caps(x: Exchange, ctx: Context) -> None:
    body = success_body(x, "Message")
    _capped((body.get("usage") or {}).get("output_tokens"), body.get("stop_reason"), "usage")


@check("MSG-011")
def stream_max_tokens_caps(x: Exchange, ctx: Context) -> None:
    """The same on a stream, read from its message_delta (MSG-STREAM-003/004 judge that it came, and its shape)."""
    events = stream_to_judge(x, "MSG-STREAM-001/002")
    delta = next((e for e in reversed(events) if e.get("type") == "message_delta"), None)
    if delta is None:
        raise Failed("a message_delta with usage.output_tokens and stop_reason", "none in the stream")
    usage, changes = delta.get("usage") or {}, delta.get("delta") or {}
    _capped(usage.get("output_tokens") if isinstance(usage, dict) else None,
            changes.get("stop_reason") if isinstance(changes, dict) else None, "message_delta usage")


@check("MSG-012")
def stop_sequence_ends_the_text(x: Exchange, ctx: Context) -> None:
    body = success_body(x, "Message")
    text = "".join(b.get("text", "") for b in body.get("content") or [] if isinstance(b, dict) and b.get("type") == "text")
    found = Violations(f"a text without the stop sequence {STOP!r}; where it stops at it, stop_reason "
                       f"\"stop_sequence\" and stop_sequence {STOP!r}")
    for problem in stop_problems(text, (STOP,)):
        found.add(problem)
    reason, named = body.get("stop_reason"), body.get("stop_sequence")
    reached = ends_before_stop(text) or reason == "stop_sequence"
    if reached:
        if reason != "stop_sequence":
            found.add(f"stop_reason {show(reason)} for a text that ends at the stop sequence")
        if named != STOP:
            found.add(f"stop_sequence {show(named)}")
    found.settle()
    if not reached:
        raise NotJudged(f"the answer never reached the stop sequence {STOP!r}: the model ended before it, so whether "
                        "stop_sequences is honoured is not judged")

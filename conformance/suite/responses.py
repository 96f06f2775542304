"""RESPONSES: the non-streaming Responses object: shape, `output_text`, usage, `max_output_tokens` and a cut answer."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, Violations, check
from .evidence import REPEAT_PASSAGE, reached_limit, stream_to_judge, usage_count
from .expect import show, success_body, unix_seconds, usage_adds_up

LIMIT = 16  # OpenAI refuses max_output_tokens below 16
LONG_ANSWER = REPEAT_PASSAGE  # an answer no model fits in LIMIT tokens (nor in twice that), an echo's included
TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def response_text(response: dict) -> str:
    """The text of every `output_text` part of every message item, joined."""
    return "".join(
        part.get("text", "")
        for item in response.get("output") or [] if isinstance(item, dict) and item.get("type") == "message"
        for part in item.get("content") or [] if isinstance(part, dict) and part.get("type") == "output_text"
    )


def _response(x: Exchange) -> dict:
    return success_body(x, "Response")


@check("RESP-001")
def response_shape(x: Exchange, ctx: Context) -> None:
    body = _response(x)
    messages = [i for i in body["output"] if isinstance(i, dict) and i.get("type") == "message"]
    parts = [p for m in messages for p in m.get("content") or [] if isinstance(p, dict)]
    if not any(p.get("type") == "output_text" for p in parts):
        raise Failed("an output message with an output_text part", show(body["output"]))
    usage = body.get("usage") or {}
    missing = [k for k in ("input_tokens", "output_tokens", "total_tokens") if k not in usage]
    if missing:
        raise Failed("usage named input_tokens, output_tokens, total_tokens", f"missing {missing} in {show(usage)}")


@check("RESP-002")
def output_text_convenience(x: Exchange, ctx: Context) -> None:
    body = _response(x)
    if "output_text" not in body:
        raise Failed("a top-level output_text", f"keys {sorted(body)}")
    if body["output_text"] != response_text(body):
        raise Failed(f"output_text equal to the output parts: {show(response_text(body), 120)}",
                     show(body["output_text"], 120))


@check("RESP-003")
def response_usage_adds_up(x: Exchange, ctx: Context) -> None:
    usage_adds_up(_response(x).get("usage"), "input_tokens", "output_tokens", "usage")


@check("RESP-017")
def created_at_in_seconds(x: Exchange, ctx: Context) -> None:
    unix_seconds(_response(x).get("created_at"), x, "created_at")


@check("RESP-004")
def max_output_tokens_respected(x: Exchange, ctx: Context) -> None:
    used = (_response(x).get("usage") or {}).get("output_tokens")
    if not isinstance(used, int) or used > LIMIT:
        raise Failed(f"output_tokens <= max_output_tokens ({LIMIT})", show(used))
    reached_limit(used, LIMIT, "output_tokens", "the cap")  # an answer that ended early never tested it


def final_response(x: Exchange) -> dict | None:
    """The response a stream's terminal event carries, if any (not judged when no event stream came)."""
    last = next((e for e in reversed(stream_to_judge(x, "RESP-STREAM-001/002")) if e.get("type") in TERMINAL), None)
    response = last.get("response") if last is not None else None
    return response if isinstance(response, dict) else None


@check("RESP-004")
def stream_max_output_tokens_respected(x: Exchange, ctx: Context) -> None:
    """The same cap on a stream: the output_tokens of the terminal event's response (RESP-STREAM-004 judges that
    it came)."""
    used = usage_count(final_response(x), "output_tokens")
    if used is not None and used > LIMIT:
        raise Failed(f"output_tokens <= max_output_tokens ({LIMIT}) in the terminal event's usage", show(used))
    reached_limit(used, LIMIT, "output_tokens", "the cap")


def cut_problems(response: dict) -> list[str]:
    """How a response asked for more than `max_output_tokens` allows fails to say it was cut (none when it says so)."""
    found = []
    if response.get("status") != "incomplete":
        found.append(f"status {show(response.get('status'))}")
    details = response.get("incomplete_details")
    if not isinstance(details, dict) or details.get("reason") != "max_output_tokens":
        found.append(f"incomplete_details {show(details)}")
    return found


@check("RESP-005")
def cut_answer_incomplete(x: Exchange, ctx: Context) -> None:
    response = _response(x)
    reached_limit(usage_count(response, "output_tokens"), LIMIT, "output_tokens", 'status "incomplete"')
    found = Violations('status "incomplete" with incomplete_details.reason "max_output_tokens" for a cut answer')
    for problem in cut_problems(response):
        found.add(problem)
    found.settle()

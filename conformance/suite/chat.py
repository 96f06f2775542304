"""CHAT: the non-streaming chat completion: shape, `n`, `max_tokens`, usage, caps, `created`, the defaults; and the caps
of a chat stream, judged on its usage."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, NotJudged, Skipped, Violations, check
from .chat_stream import choice_deltas
from .evidence import CUT_LIMIT, reached_limit, stream_to_judge
from .expect import event_stream, json_object, ok, show, success_body, unix_seconds, usage_adds_up
from .usage import usage_chunks


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


def cut_at_limit(x: Exchange, limit: str) -> None:
    """A limit of CUT_LIMIT (`max_tokens` or `max_completion_tokens`) against a passage to repeat caps the answer;
    an answer that reached it says "length" (judged only then: below it the model ended on its own)."""
    body = _completion(x)
    used = (body.get("usage") or {}).get("completion_tokens")
    if not isinstance(used, int) or used > CUT_LIMIT:
        raise Failed(f"completion_tokens <= {limit} ({CUT_LIMIT})", show(used))
    reached_limit(used, CUT_LIMIT, "completion_tokens", 'finish_reason "length"')
    reasons = [c.get("finish_reason") for c in body["choices"]]
    if reasons != ["length"]:
        raise Failed(f'finish_reason "length" for an answer cut at {limit}: {CUT_LIMIT}', show(reasons))


@check("CHAT-003")
def max_tokens_cuts(x: Exchange, ctx: Context) -> None:
    cut_at_limit(x, "max_tokens")


@check("CHAT-003")
def stream_max_tokens_caps(x: Exchange, ctx: Context) -> None:
    """The same cap on a stream: the completion_tokens of its usage chunk (USAGE-001/002 judge whether it came)."""
    stream_to_judge(x, "CHAT-STREAM-001/002")
    found = [c["usage"].get("completion_tokens") for c in usage_chunks(x) if isinstance(c["usage"], dict)]
    if not found:
        raise NotJudged("no usage in the stream to read completion_tokens from (USAGE-001/002 judge that)")
    if not all(isinstance(used, int) and used <= CUT_LIMIT for used in found):
        raise Failed(f"completion_tokens <= max_tokens ({CUT_LIMIT}) in the stream's usage", show(found))
    reached_limit(max(found), CUT_LIMIT, "completion_tokens", "the cap")  # an answer that ended early never tested it


@check("CHAT-STREAM-008")
def stream_cut_says_length(x: Exchange, ctx: Context) -> None:
    """Judged only when the stream's usage shows it cut at the limit: below it the model simply ended, above it the
    limit was not applied (CHAT-003's to judge). A choice with no finish_reason is CHAT-STREAM-005's to judge."""
    event_stream(x)
    if not usage_chunks(x):
        raise NotJudged("no usage in the stream to tell whether it reached the limit (USAGE-001/002 judge that)")
    used = [u for c in usage_chunks(x) if isinstance(c["usage"], dict)
            for u in (c["usage"].get("completion_tokens"),) if isinstance(u, int) and not isinstance(u, bool)]
    reached_limit(max(used) if used else None, CUT_LIMIT, "completion_tokens", 'finish_reason "length"')
    if max(used) > CUT_LIMIT:
        raise Skipped(f"completion_tokens {max(used)} above the limit of {CUT_LIMIT}: the stream was not cut there, so "
                      "there is no cut to judge; CHAT-003 judges the cap")
    reasons = {index: [c["finish_reason"] for c in choices if c.get("finish_reason") is not None]
               for index, choices in choice_deltas(x).items()}
    if not any(reasons.values()):
        raise Skipped("no finish_reason in the stream to judge; CHAT-STREAM-005 asks for one per choice")
    found = Violations(f'finish_reason "length" on every choice of a stream cut at max_tokens: {CUT_LIMIT}')
    for index, given in reasons.items():
        if any(reason != "length" for reason in given):
            found.add(f"finish_reason {show(given)}", f"choice {index}")
    found.settle()


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


@check("CHAT-015")
def created_in_seconds(x: Exchange, ctx: Context) -> None:
    """A chat or a text completion's `created` (CHAT-001 and COMP-001 judge the rest of the body)."""
    ok(x)
    unix_seconds(json_object(x).get("created"), x, "created")


@check("CHAT-016")
def defaults_one_answer(x: Exchange, ctx: Context) -> None:
    """Judged on a request that sends none of the three: each default shows in the one answer."""
    found = Violations("one choice, a JSON answer and no logprobs, as the defaults of n, stream and logprobs give")
    ok(x)
    if x.is_event_stream:
        raise Failed(found.expected, f"HTTP {x.status} text/event-stream for a request without stream")
    choices = json_object(x).get("choices")
    if not isinstance(choices, list) or len(choices) != 1:
        found.add(f"choices {show(choices, 120)}" if not isinstance(choices, list) else f"{len(choices)} choices")
    for index, choice in enumerate(choices if isinstance(choices, list) else []):
        logprobs = choice.get("logprobs") if isinstance(choice, dict) else None
        if logprobs is not None:
            found.add(f"logprobs {show(logprobs, 80)}", f"choice {index}")
    found.settle()

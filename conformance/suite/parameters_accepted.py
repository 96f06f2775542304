"""PARAMETERS ACCEPTED: documented optional parameters with valid values are accepted, and honoured where visible.

Each endpoint's optional parameters go out as one probe (see probe.py: together,
one request per requirement only when refused). The checks of what is honoured (a stop sequence
ends the text, logprobs come back, a huge limit is capped) read whichever
accepted answer carried the parameter.
"""

from __future__ import annotations

from typing import Sequence

from ..wire.exchange import Exchange, Request
from .bodies import MAX_OUTPUT_TOKENS, MAX_TOKENS
from .case import Context, NotJudged, Violations, check
from .chat import cut_at_limit
from .evidence import BEFORE_STOP, REPEAT_STOP_LINE, carried, ends_before_stop, stop_problems, words
from .expect import json_object, show, status, success_body
from .probe import Option, Probe, accepted, answers

HUGE_LIMIT = 1_000_000  # far above any model's output limit: capped, never refused
COUNT_PROMPT = REPEAT_STOP_LINE  # any model that repeats it, an echo too, reaches the stop sequence "7" early
STOP_LIST = ["7", "###", "<END>", "STOP!"]
STOP_STRING = "7"
THINKING_BUDGET = 1024  # Anthropic's minimum; max_tokens must exceed it


# The options whose effect is visible, named for the checks that read their answers.
STOP_A_LIST = Option("stop, a list of 4", {"stop": STOP_LIST}, "PARAM-010")
STOP_A_STRING = Option("stop, a string", {"stop": STOP_STRING}, "PARAM-010")
LOGPROBS = Option("logprobs with top_logprobs 2", {"logprobs": True, "top_logprobs": 2}, "PARAM-010")
HUGE_COMPLETION = Option(f"max_completion_tokens {HUGE_LIMIT}", {"max_completion_tokens": HUGE_LIMIT, "max_tokens": None},
                         "CHAT-009")
REASONING_EFFORT = Option("reasoning.effort low", {"reasoning": {"effort": "low"}}, "PARAM-013")
HUGE_OUTPUT = Option(f"max_output_tokens {HUGE_LIMIT}", {"max_output_tokens": HUGE_LIMIT}, "RESP-011")


def _choices(x: Exchange) -> list[dict]:
    return [c for c in success_body(x, "ChatCompletion")["choices"] if isinstance(c, dict)]


CHAT_PROBE = Probe("POST /chat/completions", lambda ctx: {
    "model": ctx.model, "messages": [{"role": "user", "content": COUNT_PROMPT}], "max_tokens": MAX_TOKENS}, (
    Option("temperature 0.7", {"temperature": 0.7}, "PARAM-010"),
    Option("top_p 0.9", {"top_p": 0.9}, "PARAM-010"),
    Option("presence_penalty 0.1", {"presence_penalty": 0.1}, "PARAM-010"),
    Option("frequency_penalty 0.1", {"frequency_penalty": 0.1}, "PARAM-010"),
    STOP_A_LIST,
    Option("seed 7", {"seed": 7}, "PARAM-010"),
    Option("user", {"user": "crun-conformance"}, "PARAM-010"),
    LOGPROBS,
    HUGE_COMPLETION,
    Option("service_tier auto (OpenAI-compatible, not on the CRUN pages)", {"service_tier": "auto"}, "PARAM-011"),
))
STOP_STRING_PROBE = Probe("POST /chat/completions", lambda ctx: {
    "model": ctx.model, "messages": [{"role": "user", "content": COUNT_PROMPT}], "max_tokens": MAX_TOKENS}, (
    STOP_A_STRING,
))
RESPONSES_PROBE = Probe("POST /responses", lambda ctx: {
    "model": ctx.model, "input": "Reply with a JSON object about keyboards.", "max_output_tokens": MAX_OUTPUT_TOKENS}, (
    Option("instructions", {"instructions": "You are a concise assistant."}, "PARAM-012"),
    Option("metadata", {"metadata": {"suite": "crun-conformance"}}, "PARAM-012"),
    Option("temperature 0.7", {"temperature": 0.7}, "PARAM-012"),
    Option("top_p 0.9", {"top_p": 0.9}, "PARAM-012"),
    Option("user", {"user": "crun-conformance"}, "PARAM-012"),
    Option("parallel_tool_calls", {"parallel_tool_calls": True}, "PARAM-013"),
    Option("truncation auto", {"truncation": "auto"}, "PARAM-013"),
    Option("prompt_cache_key", {"prompt_cache_key": "crun-conformance"}, "PARAM-013"),
    REASONING_EFFORT,
    Option("text.format json_object", {"text": {"format": {"type": "json_object"}}}, "PARAM-012"),
    HUGE_OUTPUT,
    Option("max_tool_calls 4 (OpenAI-compatible, not on the CRUN pages)", {"max_tool_calls": 4}, "PARAM-011"),
))
SYSTEM_PROMPT = "You are a concise assistant who answers in plain words."
SYSTEM = Option("system", {"system": SYSTEM_PROMPT}, "MSG-010")
THINKING = Option(f"thinking, budget_tokens {THINKING_BUDGET}", {"thinking": {"type": "enabled", "budget_tokens": THINKING_BUDGET},
                                                             "max_tokens": THINKING_BUDGET + MAX_TOKENS}, "MSG-010")
MESSAGES_PROBE = Probe("POST /messages", lambda ctx: {
    "model": ctx.messages_model, "max_tokens": MAX_TOKENS,
    "messages": [{"role": "user", "content": "Reply with one short sentence about keyboards."}]}, (SYSTEM, THINKING))


def messages_baseline(ctx: Context, _: Sequence[Exchange]) -> Request:
    """The step after the /messages probe: its question without the options, so the system prompt shows as input
    tokens (MSG-010)."""
    return Request("POST", "/messages", MESSAGES_PROBE.base(ctx))


def system_carried(xs: list[Exchange], ctx: Context) -> None:
    """MSG-010 past acceptance: the system prompt reached the model, its input tokens above the question's alone."""
    with_system = answers(xs, SYSTEM)[0]
    base = MESSAGES_PROBE.base(ctx)
    without = next((x for x in xs if x.request.json_body == base), None)
    if not accepted(without):
        return  # no answer without it to compare: the base request's own checks (MSG-001) speak for it
    carried(json_object(without), json_object(with_system), "input_tokens", "system prompt", words(SYSTEM_PROMPT))


@check("CHAT-008")
def max_completion_tokens_cuts(x: Exchange, ctx: Context) -> None:
    cut_at_limit(x, "max_completion_tokens")


def huge_max_completion_tokens_capped(xs: list[Exchange], ctx: Context) -> None:
    """CHAT-009 past acceptance: the huge max_completion_tokens was capped, the answer ending as a cap or a stop."""
    v = Violations(f'max_completion_tokens {HUGE_LIMIT} capped: finish_reason "stop" or "length", '
                   f"completion_tokens from 1 to {HUGE_LIMIT}")
    for x in answers(xs, HUGE_COMPLETION):
        body = success_body(x, "ChatCompletion")
        reason, used = body["choices"][0].get("finish_reason"), (body.get("usage") or {}).get("completion_tokens")
        if reason not in ("stop", "length"):
            v.add(f"finish_reason {show(reason)}")
        if not isinstance(used, int) or not 0 < used <= HUGE_LIMIT:
            v.add(f"completion_tokens {show(used)}")
    v.settle()


@check("CHAT-010", whole=True)
def stop_sequences_end_the_text(xs: list[Exchange], ctx: Context) -> None:
    option = next(o for o in (STOP_A_LIST, STOP_A_STRING) if any(o.carried_by(x) for x in xs))
    stops = option.fields["stop"] if isinstance(option.fields["stop"], list) else [option.fields["stop"]]
    v = Violations(f"no text containing a stop sequence of {show(stops)}, and a text that ends where the stop "
                   f"would begin (after {BEFORE_STOP!r}) with finish_reason \"stop\"")
    reached = False
    for x in answers(xs, option):
        for choice in _choices(x):
            text = (choice.get("message") or {}).get("content")
            problems = stop_problems(text, stops)
            for problem in problems:
                v.add(problem, f"choice {choice.get('index')}")
            at_stop = isinstance(text, str) and ends_before_stop(text)
            reached = reached or at_stop or bool(problems)
            if at_stop and choice.get("finish_reason") != "stop":
                v.add(f"finish_reason {show(choice.get('finish_reason'))} at the stop sequence", f"choice {choice.get('index')}")
    v.settle()
    if not reached:
        raise NotJudged(f"no answer reached the stop sequence (none ends after {BEFORE_STOP!r} or holds it): the model "
                        "ended before it, so whether stop is honoured is not judged")


@check("CHAT-011", whole=True)
def logprobs_returned(xs: list[Exchange], ctx: Context) -> None:
    v = Violations("logprobs.content entries, each with a token, a logprob and 1 to 2 top_logprobs")
    for x in answers(xs, LOGPROBS):
        for choice in _choices(x):
            content = (choice.get("logprobs") or {}).get("content") if isinstance(choice.get("logprobs"), dict) else None
            if not isinstance(content, list) or not content:
                v.add(f"choice {choice.get('index')}: logprobs {show(choice.get('logprobs'), 120)}")
                continue
            for i, entry in enumerate(content):
                top = entry.get("top_logprobs") if isinstance(entry, dict) else None
                if not (isinstance(entry, dict) and isinstance(entry.get("token"), str)
                        and isinstance(entry.get("logprob"), (int, float)) and isinstance(top, list) and 1 <= len(top) <= 2):
                    v.add(f"choice {choice.get('index')} entry {i}: {show(entry, 120)}")
    v.settle()


def huge_max_output_tokens_capped(xs: list[Exchange], ctx: Context) -> None:
    """RESP-011 past acceptance: the huge max_output_tokens was capped, the response completed or incomplete."""
    v = Violations(f'max_output_tokens {HUGE_LIMIT} capped: status "completed" or "incomplete"')
    for x in answers(xs, HUGE_OUTPUT):
        state = success_body(x, "Response").get("status")
        if state not in ("completed", "incomplete"):
            v.add(f"status {show(state)}")
    v.settle()


def _accepted(x: Exchange, what: str) -> None:
    status(x, lambda s: 200 <= s < 300, f"a 2xx for a request with {what}")


@check("CHAT-012")
def chat_tools_accepted(x: Exchange, ctx: Context) -> None:
    _accepted(x, "tools and tool_choice")


@check("CHAT-013")
def chat_json_object_accepted(x: Exchange, ctx: Context) -> None:
    _accepted(x, "response_format json_object")


@check("RESP-012")
def text_format_accepted(x: Exchange, ctx: Context) -> None:
    _accepted(x, "text.format json_schema")


@check("RESP-013")
def responses_tools_accepted(x: Exchange, ctx: Context) -> None:
    _accepted(x, "tools and tool_choice")


@check("MSG-013")
def messages_tools_accepted(x: Exchange, ctx: Context) -> None:
    _accepted(x, "tools and tool_choice")

"""TOOLS: one forced tool call, three formats: chat, /responses and /messages each end it and count it their own way.

A gateway often routes one model through three adapters; each must map the
call's stop signal and its usage into its own format. The capability probes
already force the same call on each endpoint (CAP-001..003), so these rules
read their answers and send nothing more. That the call names the tool with
arguments that parse is CAP-101..103's; a call that did not come leaves the
stop signal not judged, and a shape the probes' own rows judge (choices,
output, content not lists) too.
"""

from __future__ import annotations

from typing import Any

from ..wire.exchange import Exchange
from .capabilities import supported
from .case import Context, Failed, NotJudged, Violations, check
from .expect import show

CHAT_STOPS = ("tool_calls", "stop")  # OpenAI itself answers "stop" to a call of a named (forced) function


def _list(body: dict, key: str, what: str) -> list:
    value = body.get(key)
    if not isinstance(value, list):
        raise NotJudged(f"{key} is no list, so no {what} to judge; the probe's own rows judge the shape")
    return [v for v in value if isinstance(v, dict)]


@check("TOOLS-001")
def chat_call_ends_with_tool_calls(x: Exchange, ctx: Context) -> None:
    choices = [c for c in _list(supported(x), "choices", "tool call") if (c.get("message") or {}).get("tool_calls")]
    if not choices:
        raise NotJudged("no choice holds a tool call; CAP-101 judges that the forced call came")
    found = Violations(f"finish_reason {' or '.join(map(repr, CHAT_STOPS))} on a choice ending in a tool call")
    for choice in choices:
        if choice.get("finish_reason") not in CHAT_STOPS:
            found.add(f"finish_reason {show(choice.get('finish_reason'))}", f"choice {choice.get('index')}")
    found.settle()


@check("TOOLS-001")
def responses_call_completed(x: Exchange, ctx: Context) -> None:
    body = supported(x)
    calls = [i for i in _list(body, "output", "function call") if i.get("type") == "function_call"]
    if not calls:
        raise NotJudged("no function_call item; CAP-102 judges that the forced call came")
    found = Violations('a completed function_call item in a response of status "completed"')
    if body.get("status") != "completed":
        found.add(f"response status {show(body.get('status'))}")
    for n, call in enumerate(calls):
        if call.get("status") != "completed":
            found.add(f"status {show(call.get('status'))}", f"function_call {n}")
    found.settle()


@check("TOOLS-001")
def messages_call_ends_with_tool_use(x: Exchange, ctx: Context) -> None:
    body = supported(x)
    if not any(b.get("type") == "tool_use" for b in _list(body, "content", "tool_use block")):
        raise NotJudged("no tool_use block; CAP-103 judges that the forced call came")
    if body.get("stop_reason") != "tool_use":
        raise Failed('stop_reason "tool_use" after a tool_use block', f"stop_reason {show(body.get('stop_reason'))}")


def _counted(x: Exchange, inp: str, out: str) -> None:
    usage: Any = supported(x).get("usage")
    counts = {k: usage.get(k) for k in (inp, out)} if isinstance(usage, dict) else None
    if counts is None or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()):
        raise Failed(f"usage with integer {inp} and {out}", f"usage {show(usage)}")
    if counts[out] < 1:
        raise Failed(f"usage.{out} at least 1 for the call's arguments", f"{out} {counts[out]}")


@check("TOOLS-002")
def chat_call_counted(x: Exchange, ctx: Context) -> None:
    _counted(x, "prompt_tokens", "completion_tokens")


@check("TOOLS-002")
def responses_call_counted(x: Exchange, ctx: Context) -> None:
    _counted(x, "input_tokens", "output_tokens")


@check("TOOLS-002")
def messages_call_counted(x: Exchange, ctx: Context) -> None:
    _counted(x, "input_tokens", "output_tokens")

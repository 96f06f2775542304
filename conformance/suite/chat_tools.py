"""CHAT TOOLS: tool calls in chat answers, JSON and streamed, in OpenAI's wire format.

Two requests carry them: the parallel case (`tool_choice: "required"` with two
tools and `parallel_tool_calls` left on: its JSON answer, then its stream) and
the tool round trip streamed, its function forced again so every model answers
with a call. Whether a model calls a tool, and how many, is the model's to
choose unless the request forces one: a check of a call's form is not judged on
an answer that holds none, and an answer cut at the limit is not judged for
complete arguments. A proper 4xx refusal of the tools is "not supported"
(`supported`); CHAT-012 holds the crun profile to accepting them. A refused
round trip is CHAT-007's to judge: its stream rules have nothing to read.

A stream's calls are assembled as OpenAI's function calling guide does: by the
`index` of each `tool_calls` fragment, the first fragment of an index naming
the call, the later ones adding pieces of its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..wire.exchange import Exchange
from .capabilities import WEATHER_PARAMETERS, supported
from .case import Check, Context, Failed, NotJudged, Skipped, Violations, check
from .chat_stream import chunks
from .evidence import nth, usage_count
from .expect import arguments_problem, show
from .usage import usage_chunks

TIME_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
# Strict tools: the openai SDK's stream helper parses the arguments of strict tools only, and refuses others.
WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city.",
                                                 "parameters": WEATHER_PARAMETERS, "strict": True}}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "description": "Current local time in a city.",
                                              "parameters": TIME_PARAMETERS, "strict": True}}
TOOL_NAMES = ("get_weather", "get_time")
PARALLEL_QUESTION = "What is the weather in Paris, and what time is it in Tokyo?"
TOOLS_MAX_TOKENS = 128  # two short calls, with room to spare
JSON, STREAM = range(2)  # the parallel case's requests, in order
CALL_ID = "call_crun_conformance_1"


def parallel_request(ctx: Context) -> dict:
    """Both tools, `tool_choice: "required"`, `parallel_tool_calls` left on: the model calls one tool or both."""
    return {"model": ctx.model, "max_tokens": TOOLS_MAX_TOKENS, "tools": [WEATHER_TOOL, TIME_TOOL],
            "tool_choice": "required", "messages": [{"role": "user", "content": PARALLEL_QUESTION}]}


def parallel_stream_request(ctx: Context) -> dict:
    """The same request streamed, with usage asked for in every profile (CHAT-STREAM-013 compares it)."""
    return {**parallel_request(ctx), "stream": True, "stream_options": {"include_usage": True}}


def round_trip_stream_request(ctx: Context) -> dict:
    """The tool round trip streamed: the question, the assistant's call, the tool's result, and the function forced
    again, so any model answers with a call; `include_usage: false`, so no chunk may come without a choice."""
    return {"model": ctx.model, "max_tokens": TOOLS_MAX_TOKENS, "stream": True,
            "stream_options": {"include_usage": False}, "tools": [WEATHER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "messages": [
                {"role": "user", "content": "What is the weather in Paris?"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": CALL_ID, "type": "function",
                     "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
                {"role": "tool", "tool_call_id": CALL_ID, "content": '{"city": "Paris", "sky": "clear", "celsius": 21}'},
                {"role": "user", "content": "And now the weather in Lyon?"}]}


def forced_name(x: Exchange) -> str | None:
    """The function a request forces, or None under `auto` or `required`."""
    body = x.request.json_body if isinstance(x.request.json_body, dict) else {}
    choice = body.get("tool_choice")
    return (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None


# JSON answers ------------------------------------------------------------------------------------------------------

def _json_choices(x: Exchange) -> list[dict]:
    """The choices of a JSON answer to a request with tools (a proper 4xx refusal: not supported)."""
    choices = supported(x).get("choices")
    if not isinstance(choices, list):
        raise Failed("choices as a list of choice objects", show(choices))
    return [c for c in choices if isinstance(c, dict)]


def _message_calls(choice: dict) -> list:
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    calls = message.get("tool_calls")
    return calls if isinstance(calls, list) else []


@check("CHAT-019", whole=True)
def json_tool_calls_well_formed(xs: list[Exchange], ctx: Context) -> None:
    found = Violations("tool calls with an id of their own, type \"function\", arguments a string holding a JSON object, "
                       "and the message's content key")
    calls_seen = 0
    for choice in _json_choices(nth(xs, JSON, "tools and tool_choice \"required\"")):
        calls = _message_calls(choice)
        calls_seen += len(calls)
        where = f"choice {choice.get('index')}"
        if calls and "content" not in choice["message"]:
            found.add("a message with tool_calls and no content key", where)
        ids = [call.get("id") for call in calls if isinstance(call, dict)]
        if len(set(map(str, ids))) != len(ids):
            found.add(f"ids {show(ids)} shared by distinct calls", where)
        for number, call in enumerate(calls):
            at = f"{where}, call {number}"
            if not isinstance(call, dict):
                found.add(f"a call that is not an object: {show(call, 60)}", at)
                continue
            if not isinstance(call.get("id"), str) or not call["id"]:
                found.add(f"id {show(call.get('id'))}", at)
            if call.get("type") != "function":
                found.add(f"type {show(call.get('type'))}", at)
            function = call.get("function") if isinstance(call.get("function"), dict) else {}
            problem = arguments_problem(function.get("arguments"))
            if problem and not (choice.get("finish_reason") == "length" and isinstance(function.get("arguments"), str)):
                found.add(problem, at)
    if not calls_seen:
        raise NotJudged("the JSON answer holds no tool call: how many the model makes is its own choice")
    found.settle()


def _json_finish(x: Exchange) -> list:
    """The finish_reasons of a JSON answer's choices that hold tool calls."""
    choices = [c for c in _json_choices(x) if _message_calls(c)]
    if not choices:
        raise NotJudged("the JSON answer holds no tool call: what it ends with is another rule's")
    return [c.get("finish_reason") for c in choices]


def _stream_finish(x: Exchange) -> list:
    """The finish_reasons a stream gives its choices that hold tool calls."""
    stream = tool_stream(x)
    called = {choice for choice, _ in fragments(stream)}
    if not called:
        raise NotJudged("the stream holds no tool call: what it ends with is another rule's")
    given = [reason for choice in called for reason in stream_finish_reasons(stream).get(choice, [])]
    if not given:
        raise Skipped("no finish_reason in the stream; CHAT-STREAM-005 asks for one per choice")
    return given


def _ends_in_tool_calls(reasons: list, where: str, into: Violations) -> None:
    if "length" in reasons:
        raise NotJudged(f"the {where} was cut at max_tokens while calling: \"length\" is its finish_reason")
    if any(reason != "tool_calls" for reason in reasons):
        into.add(f"finish_reason {show(reasons)}", where)


EXPECT_TOOL_CALLS = 'finish_reason "tool_calls" for an answer that ends in tool calls'


@check("CHAT-017", whole=True)
def finish_tool_calls(xs: list[Exchange], ctx: Context) -> None:
    """Judged on the JSON answer and the stream of the same request, each when it holds tool calls and was not cut
    at the limit; not judged when neither does."""
    found, unjudged = Violations(EXPECT_TOOL_CALLS), []
    for where, index, reasons_of in (("JSON answer", JSON, _json_finish), ("stream", STREAM, _stream_finish)):
        x = nth(xs, index, f"the {where}")
        _judged_choice(x, forced=False)
        try:
            _ends_in_tool_calls(reasons_of(x), where, found)
        except Skipped as exc:  # NotJudged included: the other form may still be judged
            unjudged.append(exc)
    if len(unjudged) == 2:
        raise unjudged[0]
    found.settle()


@check("CHAT-018")
def forced_finish_tool_calls(x: Exchange, ctx: Context) -> None:
    """Judged on a stream answering a single forced function, when it holds the call and was not cut."""
    _judged_choice(x, forced=True)
    found = Violations(EXPECT_TOOL_CALLS)
    _ends_in_tool_calls(_stream_finish(x), "stream", found)
    found.settle()


def _judged_choice(x: Exchange, forced: bool) -> None:
    """CHAT-017 judges `auto` and `required`, CHAT-018 a forced function: each skips the other's."""
    if (forced_name(x) is not None) != forced:
        raise Skipped("a forced function is CHAT-018's to judge" if not forced else "no function is forced here")


# Streams -----------------------------------------------------------------------------------------------------------

@dataclass
class StreamedCall:
    """One call of a stream, as its fragments at one index of one choice give it."""

    first: dict
    ids: list = field(default_factory=list)
    names: list = field(default_factory=list)
    arguments: list = field(default_factory=list)


def _round_trip(x: Exchange) -> bool:
    body = x.request.json_body if isinstance(x.request.json_body, dict) else {}
    turns = body.get("messages") if isinstance(body.get("messages"), list) else []
    return any(isinstance(turn, dict) and turn.get("role") == "tool" for turn in turns)


def tool_stream(x: Exchange) -> list[dict]:
    """The chunks of a stream answering a request with tools: a proper 4xx refusal of the tools is not supported,
    a refused round trip is CHAT-007's to judge."""
    if x.status is not None and 400 <= x.status < 500:
        if _round_trip(x):
            raise Skipped(f"the round trip was refused (HTTP {x.status}): CHAT-007 judges that")
        supported(x)
    return chunks(x)


def on_tool_stream(rule: Check) -> Check:
    """A chat stream rule judged on a stream answering a request with tools, refused as `tool_stream` says."""

    def judge(x: Exchange, ctx: Context) -> None:
        tool_stream(x)
        rule.fn(x, ctx)

    made = Check(rule.requirement, judge)
    object.__setattr__(made, "__doc__", f"{rule.__doc__}\n\nOn a stream answering tools: {tool_stream.__doc__}")
    return made


def fragments(stream: list[dict]) -> list[tuple[int, dict]]:
    """Every `tool_calls` fragment of the stream, with the index of the choice it belongs to."""
    out = []
    for chunk in stream:
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            calls = delta.get("tool_calls") if isinstance(delta, dict) else None
            for fragment in calls if isinstance(calls, list) else []:
                out.append((choice.get("index", 0), fragment))
    return out


def _indexed(fragment: Any) -> bool:
    return isinstance(fragment, dict) and type(fragment.get("index")) is int


def assembled(stream: list[dict]) -> dict[tuple[Any, int], StreamedCall]:
    """The stream's calls by (choice, index), assembled from the fragments that carry an integer index."""
    calls: dict[tuple[Any, int], StreamedCall] = {}
    for choice, fragment in fragments(stream):
        if not _indexed(fragment):
            continue
        call = calls.setdefault((choice, fragment["index"]), StreamedCall(fragment))
        function = fragment.get("function") if isinstance(fragment.get("function"), dict) else {}
        if fragment.get("id") is not None:
            call.ids.append(fragment["id"])
        if function.get("name") is not None:
            call.names.append(function["name"])
        if function.get("arguments") is not None:
            call.arguments.append(function["arguments"])
    return calls


def _calls_to_judge(x: Exchange) -> dict[tuple[Any, int], StreamedCall]:
    stream = tool_stream(x)
    if not fragments(stream):
        raise NotJudged("the stream holds no tool call: whether the model calls one is its own choice, unless forced "
                        "(CAP-101)")
    calls = assembled(stream)
    if not calls:
        raise Skipped("no tool_calls fragment carries an index to assemble a call by; CHAT-STREAM-009 judges that")
    return calls


def stream_finish_reasons(stream: list[dict]) -> dict[Any, list]:
    """Per choice, its non-null finish_reasons in order."""
    reasons: dict[Any, list] = {}
    for chunk in stream:
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict) and choice.get("finish_reason") is not None:
                reasons.setdefault(choice.get("index", 0), []).append(choice["finish_reason"])
    return reasons


def _cut(stream: list[dict], choice: Any) -> bool:
    return "length" in stream_finish_reasons(stream).get(choice, [])


@check("CHAT-STREAM-009")
def tool_fragments_indexed(x: Exchange, ctx: Context) -> None:
    found = Violations("an integer index on every tool_calls delta")
    every = fragments(tool_stream(x))
    if not every:
        raise NotJudged("the stream holds no tool call: whether the model calls one is its own choice, unless forced")
    for number, (choice, fragment) in enumerate(every):
        if not _indexed(fragment):
            shown = fragment.get("index") if isinstance(fragment, dict) and "index" in fragment else "(absent)"
            found.add(f"index {show(shown)}", f"choice {choice}, fragment {number}")
    found.settle()


@check("CHAT-STREAM-010")
def tool_call_first_fragment_names_it(x: Exchange, ctx: Context) -> None:
    found = Violations('a first fragment with a non-empty id, type "function" and function.name for each call')
    for (choice, index), call in _calls_to_judge(x).items():
        first, where = call.first, f"choice {choice}, index {index}"
        function = first.get("function") if isinstance(first.get("function"), dict) else {}
        if not isinstance(first.get("id"), str) or not first["id"]:
            found.add(f"first fragment id {show(first.get('id'))}", where)
        if first.get("type") != "function":
            found.add(f"first fragment type {show(first.get('type'))}", where)
        if not isinstance(function.get("name"), str) or not function["name"]:
            found.add(f"first fragment function.name {show(function.get('name'))}", where)
    found.settle()


@check("CHAT-STREAM-011")
def tool_arguments_join_once(x: Exchange, ctx: Context) -> None:
    """Arguments that do not join to one JSON object are named as they joined, or, when a fragment repeats everything
    sent before it, as that re-send. A call cut at the limit ("length") is not judged."""
    stream = tool_stream(x)
    found = Violations("the arguments fragments of each call joining to one JSON object, each piece sent once")
    judged = 0
    for (choice, index), call in _calls_to_judge(x).items():
        where = f"choice {choice}, index {index}"
        if _cut(stream, choice):
            continue
        judged += 1
        if not all(isinstance(piece, str) for piece in call.arguments):
            found.add(f"arguments fragments that are not strings: {show(call.arguments, 80)}", where)
            continue
        problem = arguments_problem("".join(call.arguments))
        resent = [n for n, piece in enumerate(call.arguments)
                  if n and piece and piece.strip() == "".join(call.arguments[:n]).strip()]
        if problem and resent:
            found.add(f"fragment {resent[0]} re-sends the whole arguments {show(call.arguments[resent[0]], 80)}", where)
        elif problem:
            found.add(problem, where)
    if not judged:
        raise NotJudged("every call was cut at max_tokens (finish_reason \"length\"): its arguments could not close")
    found.settle()


@check("CHAT-STREAM-012")
def tool_index_names_one_call(x: Exchange, ctx: Context) -> None:
    found = Violations("one id and one name per index, and a different id at each index")
    calls = _calls_to_judge(x)
    for (choice, index), call in calls.items():
        where = f"choice {choice}, index {index}"
        for what, given in (("ids", call.ids), ("names", call.names)):
            if len(set(map(str, given))) > 1:
                found.add(f"{what} {show(list(dict.fromkeys(map(str, given))), 120)} at one index", where)
    by_id: dict[tuple[Any, str], list[int]] = {}
    for (choice, index), call in calls.items():
        if call.ids:
            by_id.setdefault((choice, str(call.ids[0])), []).append(index)
    for (choice, call_id), indices in by_id.items():
        if len(indices) > 1:
            found.add(f"id {show(call_id)} at indices {indices}", f"choice {choice}")
    found.settle()


@check("CHAT-STREAM-013", whole=True)
def stream_calls_match_json(xs: list[Exchange], ctx: Context) -> None:
    """Two generations of one request differ when the model samples differently: the comparison is made only when
    both report the same completion_tokens, the server's own count of what was generated."""
    json_x, stream_x = nth(xs, JSON, "the JSON answer"), nth(xs, STREAM, "the stream")
    choices = _json_choices(json_x)
    stream = tool_stream(stream_x)
    expected = [(call.get("function") or {}).get("name") for call in _message_calls(choices[0])
                if isinstance(call, dict)] if choices else []
    if not expected:
        raise NotJudged("the JSON answer holds no tool call to compare the stream's with")
    written = usage_count(supported(json_x), "completion_tokens")
    streamed = [usage_count(chunk, "completion_tokens") for chunk in usage_chunks(stream_x)]
    if written is None or not streamed or streamed[-1] is None:
        raise NotJudged("no completion_tokens in the JSON answer or the stream: whether both generated the same is "
                        "unknown")
    if streamed[-1] != written:
        raise NotJudged(f"completion_tokens {written} in JSON, {streamed[-1]} streamed: the model generated "
                        "differently, so their calls may differ")
    calls = assembled(stream)
    got = [(calls[key].names or [None])[0] for key in sorted(k for k in calls if k[0] == 0)]
    if got != expected:
        raise Failed(f"{len(expected)} call(s) {show(expected)} assembled by index, as the JSON answer gave",
                     f"{len(got)} call(s) {show(got)}")


@check("CAP-101")
def forced_call_streamed(x: Exchange, ctx: Context) -> None:
    """The stream form: a fragment names the forced function (the form of its fragments and arguments is
    CHAT-STREAM-009..011's)."""
    stream = tool_stream(x)
    name = forced_name(x)
    named = [((f.get("function") or {}) if isinstance(f, dict) else {}).get("name") for _, f in fragments(stream)]
    if name not in named:
        raise Failed(f"the forced tool called: a tool_calls fragment naming {name}",
                     f"names {show([n for n in named if n is not None])} in {len(stream)} chunks")

"""RESPONSES TOOLS: function calls and reasoning on /responses, in JSON and in streams, and the call's round trip.

A forced function call is the server's promise, whatever the model: so is the
shape of the items and events that carry it. The streamed case sends what an
agent such as Codex sends on each turn: a stream, a forced tool, and reasoning
with a summary. Its second request depends on the first answer:

- accepted: the round trip, the answer's output items sent back as they came
  (the function_call item, and its reasoning item) with a `function_call_output`
  for its `call_id`;
- refused (or broken): the same stream without reasoning, so the function call
  is judged on every model, and reasoning where the upstream takes it (whether
  it takes it is PARAM-013's to say).

Each item of a stream is followed by its own identity: opened by
`response.output_item.added`, filled by events naming it (`item_id`,
`output_index`), closed by `response.output_item.done`, and kept in the
terminal event's response. Each rule below fails for one way of breaking that
chain, and says "not judged" where another rule owns what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..wire.exchange import Exchange, Request
from .capabilities import supported
from .case import Check, Context, Failed, NotJudged, Skipped, Step, Violations, check
from .evidence import carried, usage_count, words
from .expect import answered, arguments_problem, event_objects, json_object, ok, show
from .parameters_accepted import REASONING_EFFORT
from .probe import accepted, seen
from .responses import TERMINAL

REASONING = {"effort": "low", "summary": "auto"}  # what an agent asks of a reasoning model on every turn
STREAM_LIMIT = 256  # room for a low effort's reasoning before the call; a cut before the call is not judged
WEATHER_RESULT = '{"city": "Paris", "temperature_c": 18, "sky": "light rain over the river"}'
ARGUMENT_EVENTS = ("response.function_call_arguments.delta", "response.function_call_arguments.done")


# The streamed case's requests ---------------------------------------------------------------------------------------

def function_call_steps(first: Callable[[Context], dict]) -> tuple[Step, Step]:
    """The stream with reasoning, then the round trip (it was accepted) or the same stream without reasoning."""

    def with_reasoning(ctx: Context, _: Sequence[Exchange]) -> Request:
        return Request("POST", "/responses", {**first(ctx), "stream": True, "reasoning": REASONING})

    def then(ctx: Context, earlier: Sequence[Exchange]) -> Request | None:
        body = {**first(ctx), "stream": True}
        if not earlier or not accepted(earlier[0]):
            return Request("POST", "/responses", body)
        items = sent_back(earlier[0])
        if not items:
            return None  # no call to answer: RESP-STREAM-009 judges its absence
        call = next(i for i in items if i.get("type") == "function_call")
        question = {"role": "user", "content": body["input"]}
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": WEATHER_RESULT}
        return Request("POST", "/responses", {**body, "stream": False, "reasoning": REASONING,
                                              "input": [question, *items, output], "tool_choice": "auto"})

    return Step(with_reasoning), Step(then)


def sent_back(x: Exchange) -> list[dict]:
    """The output items a client sends back after a streamed call: the terminal response's reasoning and
    function_call items, else those its `response.output_item.done` events closed; none without a call."""
    events = [e for e in (event.json() for event in x.events or []) if isinstance(e, dict)]
    final = terminal(events)
    output = final.get("output") if isinstance(final, dict) else None
    closed = [e.get("item") for e in events if e.get("type") == "response.output_item.done"]
    for items in (output, closed):
        kept = [i for i in items or [] if isinstance(i, dict) and i.get("type") in ("reasoning", "function_call")]
        if any(i.get("type") == "function_call" and isinstance(i.get("call_id"), str) for i in kept):
            return kept
    return []


def terminal(events: list[dict]) -> dict | None:
    """The response the stream's terminal event carries, if one came."""
    last = next((e for e in reversed(events) if e.get("type") in TERMINAL), None)
    response = last.get("response") if last is not None else None
    return response if isinstance(response, dict) else None


def _is_stream_request(x: Exchange) -> bool:
    body = x.request.json_body
    return isinstance(body, dict) and body.get("stream") is True


def function_stream(xs: Sequence[Exchange]) -> Exchange:
    """The stream the function call is judged on: the first, accepted; else the one sent again without reasoning."""
    if accepted(xs[0]) or len(xs) < 2 or not _is_stream_request(xs[1]):
        return xs[0]
    return xs[1]


def _declinable(x: Exchange) -> Exchange:
    """A proper 4xx refusal of the tools is "not supported", as for every capability probe (see supported)."""
    if not x.failure and x.status is not None and 400 <= x.status < 500:
        supported(x)
    return x


def on_function_stream(judged: Check) -> Check:
    """A stream check of the text stream, held on the function call's stream: sequence numbers, event lines, order."""
    return Check(judged.requirement, lambda xs, ctx: judged.fn(_declinable(function_stream(xs)), ctx), whole=True)


def _reasoning_stream(xs: Sequence[Exchange]) -> list[dict]:
    """The events of the stream that asked for reasoning; skipped when it was refused (PARAM-013 says why), failed
    when no complete answer came."""
    if not xs[0].failure and not accepted(xs[0]):
        raise Skipped(f"the stream with reasoning was not accepted ({seen(xs[0])}); whether reasoning is supported "
                      "is PARAM-013's to judge")
    return event_objects(xs[0])


# The function_call items of a stream --------------------------------------------------------------------------------

@dataclass
class Item:
    """One output item of a stream, by its `output_index` (None for one only the terminal response holds): as
    announced, as closed, and where those events came."""

    index: int | None
    added: dict | None = None
    added_at: int | None = None
    done: list[tuple[int, dict]] = field(default_factory=list)

    @property
    def kind(self) -> Any:
        return (self.added or (self.done[0][1] if self.done else {})).get("type")

    @property
    def where(self) -> str:
        return f"output_index {self.index}" if self.index is not None else "only in the final response"

    @property
    def id(self) -> Any:
        return next((i.get("id") for i in (self.added, *(d for _, d in self.done)) if isinstance(i, dict)
                     and isinstance(i.get("id"), str)), None)


def stream_items(events: list[dict]) -> list[Item]:
    """Every output item the stream's output_item events name, by output_index, then those only the terminal
    response holds (known by neither id nor call_id from the events)."""
    items: dict[int, Item] = {}
    for at, e in enumerate(events):
        item, index = e.get("item"), e.get("output_index")
        if not isinstance(item, dict) or not isinstance(index, int):
            continue
        known = items.setdefault(index, Item(index))
        if e.get("type") == "response.output_item.added" and known.added is None:
            known.added, known.added_at = item, at
        elif e.get("type") == "response.output_item.done":
            known.done.append((at, item))
    seen = {(k, i.get(k)) for item in items.values() for i in (item.added, *(d for _, d in item.done)) if i
            for k in ("id", "call_id") if isinstance(i.get(k), str)}
    final = terminal(events) or {}
    only_final = [Item(None, done=[(len(events), item)])
                  for item in (final.get("output") if isinstance(final.get("output"), list) else [])
                  if isinstance(item, dict) and not any((k, item.get(k)) in seen for k in ("id", "call_id"))]
    return [*items.values(), *only_final]


def _calls(events: list[dict]) -> list[Item]:
    """The stream's function_call items; not judged when it has none (RESP-STREAM-009 judges that the call came)."""
    calls = [i for i in stream_items(events) if i.kind == "function_call"]
    if not calls:
        raise NotJudged("the stream holds no function_call item; RESP-STREAM-009 judges that the forced call came")
    return calls


def _argument_events(events: list[dict], index: int, kind: str) -> list[tuple[int, dict]]:
    return [(at, e) for at, e in enumerate(events) if e.get("type") == kind and e.get("output_index") == index]


def _forced_name(x: Exchange) -> Any:
    body = x.request.json_body if isinstance(x.request.json_body, dict) else {}
    choice = body.get("tool_choice")
    return choice.get("name") if isinstance(choice, dict) else None


def _cut_before_call(events: list[dict]) -> bool:
    final = terminal(events) or {}
    return final.get("status") == "incomplete" and (final.get("incomplete_details") or {}).get("reason") == \
        "max_output_tokens"


@check("RESP-STREAM-009", whole=True)
def function_call_announced(xs: list[Exchange], ctx: Context) -> None:
    x = _declinable(function_stream(xs))
    events = event_objects(x)
    name = _forced_name(x)
    calls = [i for i in stream_items(events) if i.kind == "function_call"]
    announced = [i for i in calls if i.added is not None]
    if not announced:
        if not calls and _cut_before_call(events):
            raise NotJudged("the stream was cut at max_output_tokens before any function call began")
        kinds = [i.kind for i in stream_items(events)]
        orphans = sum(1 for e in events if e.get("type") in ARGUMENT_EVENTS)
        raise Failed(f"response.output_item.added announcing the forced function_call item ({name})",
                     f"output items {show(kinds)}, none announced as a function_call; {orphans} argument events")
    found = Violations(f"the forced function_call item ({name}) announced with its id, call_id and name before any "
                       "event of its arguments")
    for item in announced:
        where = item.where
        for key in ("id", "call_id"):
            if not isinstance(item.added.get(key), str) or not item.added[key]:
                found.add(f"announced with {key} {show(item.added.get(key))}", where)
        if item.added.get("name") != name:
            found.add(f"announced as {show(item.added.get('name'))}", where)
        early = [at for kind in ARGUMENT_EVENTS for at, _ in _argument_events(events, item.index, kind)
                 if at < item.added_at]
        if early:
            found.add(f"{len(early)} argument events before its response.output_item.added", where)
    found.settle()


@check("RESP-STREAM-010", whole=True)
def argument_events_name_their_item(xs: list[Exchange], ctx: Context) -> None:
    events = event_objects(_declinable(function_stream(xs)))
    calls = {i.index: i for i in _calls(events)}
    found = Violations("every function_call_arguments event naming, by item_id and output_index, its function_call "
                       "item's id")
    for at, e in enumerate(events):
        if e.get("type") not in ARGUMENT_EVENTS:
            continue
        item = calls.get(e.get("output_index"))
        if item is None:
            found.add(f"output_index {show(e.get('output_index'))} is no function_call item", f"event {at}")
        elif e.get("item_id") != item.id:
            call_id = (item.added or {}).get("call_id") or next((d.get("call_id") for _, d in item.done), None)
            whose = " (its call_id)" if e.get("item_id") == call_id else ""
            found.add(f"item_id {show(e.get('item_id'))}{whose} for the item {show(item.id)}", f"event {at}")
    found.settle()


@check("RESP-STREAM-011", whole=True)
def arguments_done_whole(xs: list[Exchange], ctx: Context) -> None:
    events = event_objects(_declinable(function_stream(xs)))
    found = Violations("one response.function_call_arguments.done per function_call item, after its deltas, with "
                       "the whole arguments: a JSON object, its deltas joined")
    for item in _calls(events):
        where = item.where
        deltas = _argument_events(events, item.index, "response.function_call_arguments.delta")
        dones = _argument_events(events, item.index, "response.function_call_arguments.done")
        if len(dones) != 1:
            found.add(f"{len(dones)} response.function_call_arguments.done events" + (
                " (required even when no delta came)" if not dones and not deltas else ""), where)
            continue
        done_at, done = dones[0]
        arguments = done.get("arguments")
        if any(at > done_at for at, _ in deltas):
            found.add("a delta after response.function_call_arguments.done", where)
        if arguments_problem(arguments) is not None:
            found.add(f"arguments {show(arguments, 80)}, not a JSON object", where)
        joined = "".join(d.get("delta") for _, d in deltas if isinstance(d.get("delta"), str))
        if deltas and joined != arguments:
            found.add(f"deltas joined {show(joined, 80)} but .done says {show(arguments, 80)}", where)
    found.settle()


def _done_arguments(events: list[dict], item: Item) -> Any:
    dones = _argument_events(events, item.index, "response.function_call_arguments.done")
    return dones[0][1].get("arguments") if len(dones) == 1 else None


@check("RESP-STREAM-012", whole=True)
def function_call_closed(xs: list[Exchange], ctx: Context) -> None:
    events = event_objects(_declinable(function_stream(xs)))
    cut = _cut_before_call(events)
    found = Violations("each function_call item closed by one response.output_item.done with the id, call_id and "
                       "name it was announced with, status \"completed\" and the arguments of its .done event")
    for item in _calls(events):
        where = item.where
        closed = [d for at, d in item.done if at < len(events)]  # a terminal-only item was never closed
        if len(closed) != 1:
            found.add(f"{len(closed)} response.output_item.done events", where)
            continue
        for key in ("id", "call_id", "name"):
            if item.added is not None and closed[0].get(key) != item.added.get(key):
                found.add(f"{key} {show(closed[0].get(key))}, announced as {show(item.added.get(key))}", where)
        if closed[0].get("status") != ("incomplete" if cut else "completed"):
            found.add(f"status {show(closed[0].get('status'))}", where)
        arguments = _done_arguments(events, item)
        if arguments is not None and closed[0].get("arguments") != arguments:
            found.add(f"arguments {show(closed[0].get('arguments'), 80)}, .done said {show(arguments, 80)}", where)
    found.settle()


@check("RESP-STREAM-013", whole=True)
def final_response_holds_calls(xs: list[Exchange], ctx: Context) -> None:
    events = event_objects(_declinable(function_stream(xs)))
    calls = _calls(events)
    final = terminal(events)
    if final is None:
        raise NotJudged("no terminal event; RESP-STREAM-004 judges that")
    output = final.get("output") if isinstance(final.get("output"), list) else []
    found = Violations("the terminal response's output holding each function_call item as it was closed")
    for item in calls:
        closed = next((d for at, d in item.done if at < len(events)), None)
        known = {k: v for k, v in (closed or item.added or {}).items() if k in ("id", "call_id", "name")}
        known["arguments"] = closed.get("arguments") if closed else _done_arguments(events, item)
        kept = next((o for o in output if isinstance(o, dict) and o.get("type") == "function_call"
                     and (o.get("id") == item.id or o.get("call_id") == known.get("call_id"))), None)
        where = item.where
        if kept is None:
            found.add(f"the item {show(item.id)} is missing from it ({len(output)} items)", where)
            continue
        for key, value in known.items():
            if value is not None and kept.get(key) != value:
                found.add(f"{key} {show(kept.get(key), 80)}, streamed as {show(value, 80)}", where)
    found.settle()


@check("RESP-STREAM-014", whole=True)
def reasoning_events_coherent(xs: list[Exchange], ctx: Context) -> None:
    events = _reasoning_stream(xs)
    items = {i.index: i for i in stream_items(events) if i.kind == "reasoning"}
    parts = [(at, e) for at, e in enumerate(events) if str(e.get("type")).startswith(
        ("response.reasoning_summary_", "response.reasoning_text."))]
    if not items and not parts:
        raise NotJudged("the stream holds no reasoning item: the upstream reasoned silently or not at all")
    found = Violations("each reasoning item opened and closed under one id, every reasoning event naming an opened "
                       "reasoning item, each summary part's deltas joined equal to its text and to the closed item's")
    texts: dict[tuple[int, str, int], list[str]] = {}
    finished: dict[tuple[int, str, int], Any] = {}
    for at, e in parts:
        index, item = e.get("output_index"), items.get(e.get("output_index"))
        opened = item is not None and item.added is not None and item.added_at < at
        if not opened or e.get("item_id") != item.id:
            found.add(f"{e.get('type')} names {show(e.get('item_id'))} at output_index {show(index)}, no opened "
                      "reasoning item", f"event {at}")
            continue
        kind = "summary" if "summary" in e["type"] else "content"
        key = (index, kind, e.get("summary_index") if kind == "summary" else e.get("content_index"))
        if e["type"].endswith("text.delta"):
            texts.setdefault(key, []).append(e.get("delta") if isinstance(e.get("delta"), str) else "")
        elif e["type"].endswith("text.done"):
            finished[key] = e.get("text")
    for index, item in items.items():
        closed = [d for at, d in item.done if at < len(events)]
        where = f"output_index {index}"
        if item.added is None or len(closed) != 1 or closed[0].get("id") != item.added.get("id"):
            found.add(f"opened {0 if item.added is None else 1} time(s), closed {len(closed)} time(s) under the "
                      "same id", where)
            continue
        for (at_index, kind, number), text in finished.items():
            if at_index != index:
                continue
            if (at_index, kind, number) in texts and "".join(texts[(at_index, kind, number)]) != text:
                found.add(f"{kind} {number}: deltas joined differ from its text {show(text, 80)}", where)
            held = closed[0].get(kind) if isinstance(closed[0].get(kind), list) else []
            part = held[number] if isinstance(number, int) and 0 <= number < len(held) else None
            if not isinstance(part, dict) or part.get("text") != text:
                found.add(f"{kind} {number}: the closed item holds {show(part, 80)}, not its text", where)
    found.settle()


# Items well formed, in JSON and in a stream's final response --------------------------------------------------------

def function_call_problems(item: dict, response_status: Any) -> list[str]:
    """How a function_call output item falls short of its documented fields (none when well formed)."""
    found = [f"{key} {show(item.get(key))}" for key in ("id", "call_id", "name")
             if not isinstance(item.get(key), str) or not item[key]]
    if arguments_problem(item.get("arguments")) is not None:
        found.append(f"arguments {show(item.get('arguments'), 80)}, not a string holding a JSON object")
    expected = "incomplete" if response_status == "incomplete" else "completed"
    if item.get("status") != expected:
        found.append(f"status {show(item.get('status'))} in a response {show(response_status)}")
    return found


def _items_of(response: Any, kind: str) -> list[dict]:
    output = response.get("output") if isinstance(response, dict) else None
    return [i for i in output if isinstance(i, dict) and i.get("type") == kind] if isinstance(output, list) else []


def _judge_calls(response: dict, where: str) -> None:
    calls = _items_of(response, "function_call")
    if not calls:
        raise NotJudged(f"no function_call item in {where}; CAP-102 and RESP-STREAM-009 judge that the forced call "
                        "came")
    found = Violations("function_call items with an id, a call_id, a name, arguments holding a JSON object and the "
                       "response's status")
    for n, item in enumerate(calls):
        for problem in function_call_problems(item, response.get("status")):
            found.add(problem, f"{where}, function_call {n}")
    found.settle()


@check("RESP-019")
def function_call_items(x: Exchange, ctx: Context) -> None:
    _judge_calls(supported(x), "the answer")


@check("RESP-019", whole=True)
def streamed_function_call_items(xs: list[Exchange], ctx: Context) -> None:
    final = terminal(event_objects(_declinable(function_stream(xs))))
    if final is None:
        raise NotJudged("no terminal event carrying the final response; RESP-STREAM-004 judges that")
    _judge_calls(final, "the final response")


def reasoning_problems(item: dict) -> list[str]:
    """How a reasoning item falls short of its documented shape (none when well formed)."""
    found = [] if isinstance(item.get("id"), str) and item["id"] else [f"id {show(item.get('id'))}"]
    for key, part, required in (("summary", "summary_text", True), ("content", "reasoning_text", False)):
        value = item.get(key)
        if value is None and not required:
            continue
        if not isinstance(value, list):
            found.append(f"{key} {show(value)}, not a list")
            continue
        found += [f"{key}[{n}] {show(p, 80)}" for n, p in enumerate(value)
                  if not (isinstance(p, dict) and p.get("type") == part and isinstance(p.get("text"), str))]
    if item.get("encrypted_content") is not None and not isinstance(item["encrypted_content"], str):
        found.append(f"encrypted_content {show(item['encrypted_content'], 80)}")
    return found


def _judge_reasoning(items: list[tuple[str, dict]]) -> None:
    if not items:
        raise NotJudged("no reasoning item: the upstream reasoned silently or not at all")
    found = Violations("reasoning items with an id, a summary list of summary_text parts, content (if any) of "
                       "reasoning_text parts, encrypted_content (if any) a string")
    for where, item in items:
        for problem in reasoning_problems(item):
            found.add(problem, where)
    found.settle()


def _reasoning_answers(xs: Sequence[Exchange]) -> list[dict]:
    """The JSON answers to the probe's requests that carried `reasoning`; skipped when none was accepted (PARAM-013
    judges a refusal or a crash)."""
    bodies = [json_object(x) for x in xs if REASONING_EFFORT.carried_by(x) and accepted(x)]
    if not bodies:
        raise Skipped("no request with reasoning was accepted; PARAM-013 judges that")
    return bodies


@check("RESP-021", whole=True)
def reasoning_tokens_counted(xs: list[Exchange], ctx: Context) -> None:
    found = Violations("usage.output_tokens_details.reasoning_tokens, an integer >= 0")
    for n, body in enumerate(_reasoning_answers(xs)):
        _reasoning_tokens(body, f"answer {n}", found)
    found.settle()


@check("RESP-021", whole=True)
def streamed_reasoning_tokens_counted(xs: list[Exchange], ctx: Context) -> None:
    final = terminal(_reasoning_stream(xs))
    if final is None:
        raise NotJudged("no terminal event carrying the usage; RESP-STREAM-004 judges that")
    found = Violations("usage.output_tokens_details.reasoning_tokens in the final response, an integer >= 0")
    _reasoning_tokens(final, "the final response", found)
    found.settle()


def _reasoning_tokens(response: dict, where: str, found: Violations) -> None:
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    details = usage.get("output_tokens_details")
    count = details.get("reasoning_tokens") if isinstance(details, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        found.add(f"output_tokens_details {show(details)}", where)


@check("RESP-022", whole=True)
def reasoning_items(xs: list[Exchange], ctx: Context) -> None:
    _judge_reasoning([(f"answer {n}, output {i}", item) for n, body in enumerate(_reasoning_answers(xs))
                      for i, item in enumerate(body.get("output") if isinstance(body.get("output"), list) else [])
                      if isinstance(item, dict) and item.get("type") == "reasoning"])


@check("RESP-022", whole=True)
def streamed_reasoning_items(xs: list[Exchange], ctx: Context) -> None:
    events = _reasoning_stream(xs)
    items = [(f"{e['type']} (event {at})", e["item"]) for at, e in enumerate(events)
             if e.get("type") in ("response.output_item.added", "response.output_item.done")
             and isinstance(e.get("item"), dict) and e["item"].get("type") == "reasoning"]
    items += [("the final response", item) for item in _items_of(terminal(events), "reasoning")]
    _judge_reasoning(items)


# The round trip ------------------------------------------------------------------------------------------------------

@check("RESP-020", whole=True)
def round_trip_answered(xs: list[Exchange], ctx: Context) -> None:
    """The follow-up is judged by the server's own count: its input tokens grow by the call and its output sent back,
    whatever the model answers."""
    answered(xs[0])
    if not accepted(xs[0]):
        raise NotJudged(f"the streamed call with reasoning was not accepted ({seen(xs[0])}), so no round trip was "
                        "sent")
    if len(xs) < 2 or _is_stream_request(xs[1]):
        raise NotJudged("the stream held no function call to answer; RESP-STREAM-009 judges that")
    ok(xs[1])
    answer = json_object(xs[1])
    first = terminal(event_objects(xs[0]))
    if usage_count(first, "input_tokens") is None:
        raise NotJudged("the stream reported no input_tokens to compare: whether the call and its output reached "
                        "the model is not judged")
    carried(first, answer, "input_tokens", "function call and its output", words(WEATHER_RESULT))

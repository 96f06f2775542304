"""CONVERSATIONS: what a chat client sends every day, as the pages show it, is accepted and answered.

A `system` turn with earlier `user`/`assistant` turns (CRUN keeps no state: the
client sends the history again), the tool round trip (the assistant's
`tool_calls` turn, then a `role: "tool"` message carrying its `tool_call_id`),
and no state kept: a fresh request carries only what it sends.
"""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, NotJudged, check
from .chat_stream import choice_deltas
from .evidence import baseline_of, carried, nth, usage_count, words
from .expect import show, success_body

WEATHER_CALL_ID = "call_crun_conformance_1"
QUESTION = {"role": "user", "content": "Update it for rainy weather in one short sentence."}
# The chat context case's requests, in order: the last question alone (the one baseline), with the history before
# it (CHAT-006), with an image (CAP-010/110 in capabilities.py), and alone again (CHAT-014).
ALONE, WITH_HISTORY, WITH_IMAGE, ALONE_AGAIN = range(4)
# Planted in the history: a server that kept it would carry into the question asked again what "it" is, and an order
# to quote the code word, which a model reading it would likely follow; no model could guess it from the question.
CODE_WORD = "PELICAN-7319"
HISTORY = [
    {"role": "system", "content": "You are a concise travel assistant."},
    {"role": "user", "content": f"I will spend 2 days in Tokyo. Build a simple itinerary, and quote my hotel's code word "
                                f"{CODE_WORD} in every update."},
    {"role": "assistant", "content": f"Day 1: Asakusa and Ueno. Day 2: Shibuya and Meiji Shrine. Code word: {CODE_WORD}."},
    QUESTION,
]


def tool_round_trip(question: str) -> list[dict]:
    """The follow-up request of a tool call: the question, the assistant's call, and the tool's result."""
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": WEATHER_CALL_ID, "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": WEATHER_CALL_ID, "content": '{"city": "Paris", "sky": "clear", "celsius": 21}'},
    ]


def _answered(x: Exchange) -> None:
    """A chat completion whose first choice carries an assistant answer: text (what it says, even nothing, is the
    model's to choose), or another tool call."""
    message = success_body(x, "ChatCompletion")["choices"][0].get("message") or {}
    if not isinstance(message.get("content"), str) and not message.get("tool_calls"):
        raise Failed("an assistant answer (text or a tool call)", show(message))


@check("CHAT-006", whole=True)
def conversation_answered(xs: list[Exchange], ctx: Context) -> None:
    """The conversation is answered, and carried: its prompt_tokens exceed those of its last question sent alone by
    half the words of the turns before it."""
    conversation = nth(xs, WITH_HISTORY, "the conversation history")
    _answered(conversation)
    earlier = sum(words(turn["content"]) for turn in HISTORY[:-1])
    carried(baseline_of(xs, ALONE), success_body(conversation, "ChatCompletion"), "prompt_tokens", "conversation history",
            earlier)


@check("CHAT-007")
def tool_result_answered(x: Exchange, ctx: Context) -> None:
    _answered(x)


@check("CHAT-007")
def tool_result_answered_streamed(x: Exchange, ctx: Context) -> None:
    """The round trip streamed: an event stream whose choices carry an answer, text or a tool call (its form is the
    chat stream rules')."""
    deltas = [c["delta"] for choices in choice_deltas(x).values() for c in choices if isinstance(c.get("delta"), dict)]
    if not any(isinstance(d.get("content"), str) or d.get("tool_calls") for d in deltas):
        raise Failed("a stream answering the tool result (text or a tool call)", f"{len(deltas)} deltas and neither")


@check("CHAT-014", whole=True)
def no_state_kept(xs: list[Exchange], ctx: Context) -> None:
    """Judged by what the server controls, never by the model's wording: after a conversation that planted a code
    word, the question asked alone again reads exactly as many prompt_tokens as when it was asked first, and its
    answer does not hold the code word."""
    again = nth(xs, ALONE_AGAIN, "the question asked alone again")
    planted = nth(xs, WITH_HISTORY, "the conversation history")
    if planted.failure or planted.status is None or not 200 <= planted.status < 300:
        raise NotJudged(f"the conversation planting the code word got no 2xx answer ({planted.failure or f'HTTP {planted.status}'}): "
                        "nothing was planted to be kept")
    first, body = baseline_of(xs, ALONE), success_body(again, "ChatCompletion")
    for choice in body["choices"]:
        text = (choice.get("message") or {}).get("content") if isinstance(choice, dict) else None
        if isinstance(text, str) and CODE_WORD in text:
            raise Failed(f"an answer without the code word {CODE_WORD}, which only an earlier request carried",
                         f"choice {choice.get('index')}: {show(text, 160)}")
    before, after = usage_count(first, "prompt_tokens"), usage_count(body, "prompt_tokens")
    if before is None or after is None:
        raise NotJudged("no usage.prompt_tokens to compare the question asked before and after the code word was "
                        "planted: whether the server carried the earlier requests into the later one is not judged")
    if after != before:
        raise Failed(f"prompt_tokens {before} for the question asked alone again, as when it was asked first",
                     f"prompt_tokens {after} ({after - before:+d}): the server read more or less than the request sent")

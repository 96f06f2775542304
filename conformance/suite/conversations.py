"""CONVERSATIONS: what a chat client sends every day, as the pages show it, is accepted and answered.

A `system` turn with earlier `user`/`assistant` turns (CRUN keeps no state: the
client sends the history again), and the tool round trip (the assistant's
`tool_calls` turn, then a `role: "tool"` message carrying its `tool_call_id`).
"""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .evidence import baseline_of, carried, nth, words
from .expect import show, success_body

WEATHER_CALL_ID = "call_crun_conformance_1"
QUESTION = {"role": "user", "content": "Update it for rainy weather in one short sentence."}
# The chat context case's requests, in order: the last question alone (the one baseline), with the history before
# it (CHAT-006), with an image (CAP-010/110 in capabilities.py).
ALONE, WITH_HISTORY, WITH_IMAGE = range(3)
HISTORY = [
    {"role": "system", "content": "You are a concise travel assistant."},
    {"role": "user", "content": "I will spend 2 days in Tokyo. Build a simple itinerary."},
    {"role": "assistant", "content": "Day 1: Asakusa and Ueno. Day 2: Shibuya and Meiji Shrine."},
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

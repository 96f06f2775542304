"""INPUT FORMS: `/responses` takes `input` as a string or as message-like items, and marks only `model` required.

A list of items with a `system` item is how the page says to migrate from Chat
Completions. A request without `input` must never crash the server (MUST); the
page does not mark `input` required, so serving it is allowed, and a refusal, when
there is one, is the 400 naming `input` an OpenAI client expects (SHOULD).
"""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .evidence import baseline_of, carried, nth, words
from .expect import openai_error, show, status, success_body
from .params import refusal
from .responses import response_text

QUESTION = "Explain prompt caching in one short sentence."
SYSTEM_ITEM = "You are a helpful assistant who explains things to beginners."
INSTRUCTIONS = "You are a concise assistant. Answer in plain words, without lists."
MESSAGE_ITEMS = [
    {"role": "system", "content": SYSTEM_ITEM},
    {"role": "user", "content": QUESTION},
]
# The /responses context case's requests, in order: the question alone (the one baseline every other step is
# compared with), as message items with a system item (RESP-010), with `instructions` (RESP-016), then with an
# image, a file and a file by URL (CAP-007/107, CAP-008/108, CAP-011/111 in capabilities.py).
ALONE, ITEMS, WITH_INSTRUCTIONS, WITH_IMAGE, WITH_FILE, WITH_FILE_URL = range(6)


def with_part(part: dict) -> list[dict]:
    """The question as one user item with a content part added."""
    return [{"role": "user", "content": [{"type": "input_text", "text": QUESTION}, part]}]


@check("RESP-010", whole=True)
def message_items_answered(xs: list[Exchange], ctx: Context) -> None:
    body = success_body(nth(xs, ITEMS, "message items"), "Response")
    if not response_text(body):
        raise Failed("a text answer to the message items", show(body.get("output")))
    carried(baseline_of(xs, ALONE), body, "input_tokens", "system item", words(SYSTEM_ITEM))


@check("RESP-016", whole=True)
def instructions_carried(xs: list[Exchange], ctx: Context) -> None:
    body = success_body(nth(xs, WITH_INSTRUCTIONS, "instructions"), "Response")
    carried(baseline_of(xs, ALONE), body, "input_tokens", "instructions", words(INSTRUCTIONS))


@check("RESP-014")
def missing_input_no_server_error(x: Exchange, ctx: Context) -> None:
    code = status(x, lambda s: s < 500, "no 5xx for a request without input")
    if 200 <= code < 300:
        success_body(x, "Response")


@check("RESP-015")
def missing_input_refused(x: Exchange, ctx: Context) -> None:
    status(refusal(x, "a request without input"), {400}, "400 for a request without input")
    error = openai_error(x)
    if error.get("param") != "input":
        raise Failed('error.param "input"', show(error.get("param")))

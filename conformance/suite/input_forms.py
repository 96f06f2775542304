"""INPUT FORMS: `/responses` takes `input` as a string or as message-like items, and marks only `model` required.

A list of items with a `system` item is how the page says to migrate from Chat
Completions. A request without `input` must never crash the server (MUST);
refusing it with a 400 naming `input` is what an OpenAI client expects (SHOULD).
"""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .expect import client_error, openai_error, show, status, success_body
from .responses import response_text

MESSAGE_ITEMS = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Explain prompt caching in one short sentence."},
]


@check("RESP-010")
def message_items_answered(x: Exchange, ctx: Context) -> None:
    body = success_body(x, "Response")
    if not response_text(body):
        raise Failed("a text answer to the message items", show(body.get("output")))


@check("RESP-014")
def missing_input_no_server_error(x: Exchange, ctx: Context) -> None:
    code = status(x, lambda s: s < 500, "no 5xx for a request without input")
    if 200 <= code < 300:
        success_body(x, "Response")


@check("RESP-015")
def missing_input_refused(x: Exchange, ctx: Context) -> None:
    client_error(x)
    status(x, {400}, "400 for a request without input")
    error = openai_error(x)
    if error.get("param") != "input":
        raise Failed('error.param "input"', show(error.get("param")))

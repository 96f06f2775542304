"""CAPABILITIES: optional features that depend on the model, probed and reported as
supported (passed), not supported (a proper 4xx refusal: skipped), or broken (failed).

One rule, in `supported`, for every probe and every step of one: a 4xx in the
endpoint's error shape is "not supported"; a 5xx, a malformed error, or a 2xx
that ignores what was asked (checked by each probe) is "broken".
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import jsonschema

from ..wire.exchange import Exchange, Request
from .case import Context, Failed, Unsupported, check
from .expect import error_for, json_object, show
from .responses import response_text

WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
TASK_SCHEMA = {
    "type": "object",
    "properties": {"owner": {"type": "string"}, "task": {"type": "string"}, "due": {"type": "string"}},
    "required": ["owner", "task", "due"],
    "additionalProperties": False,
}
# A 1x1 PNG and a one-page PDF, inline so no request depends on a third-party URL.
PIXEL_PNG = "data:image/png;base64," + base64.b64encode(
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\xdac\xfc\xcf\xc0P\x0f\x00\x04\x85\x01\x80\x84\xa9\x8c!\x00\x00\x00\x00IEND\xaeB`\x82"
).decode()
HELLO_PDF = "data:application/pdf;base64," + base64.b64encode(
    b"%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 50]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
).decode()


def supported(x: Exchange) -> dict:
    """The one rule every capability probe is judged by: the JSON body of a 2xx, `Unsupported` for a proper refusal.

    A 4xx in the endpoint's error shape is "not supported" (skipped); a 5xx, a
    malformed error, no answer, or a 2xx that is not JSON is "broken" (failed).
    Whether a 2xx did what was asked is each check's own question.
    """
    if x.failure:
        raise Failed("an answer to the capability probe", x.failure)
    if x.status is not None and 400 <= x.status < 500:
        try:
            error = error_for(x.request.path)(x)
        except Failed as exc:
            raise Failed("a 2xx, or a 4xx with a proper error body", exc.actual) from None
        raise Unsupported(f"declined with HTTP {x.status}: {show(error.get('message', ''), 160)}")
    if not (x.status is not None and 200 <= x.status < 300):
        raise Failed("a 2xx, or a 4xx with a proper error body", f"HTTP {x.status}: {show(x.body.decode('utf-8', 'replace'))}")
    return json_object(x)


def _json_matching(text: Any, schema: dict | None, where: str) -> None:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Failed(f"{where} to be a JSON object", show(text))
    if schema is not None:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
        if error is not None:
            raise Failed(f"{where} to match the requested schema", f"{error.message} in {show(value)}")


def _first_message(body: dict) -> dict:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise Failed("choices as a non-empty list of choice objects", show(choices))
    message = choices[0].get("message")
    return message if isinstance(message, dict) else {}


@check("CAP-001")
def chat_tools(x: Exchange, ctx: Context) -> None:
    calls = _first_message(supported(x)).get("tool_calls") or []
    function = (calls[0].get("function") or {}) if calls else {}
    if function.get("name") != "get_weather":
        raise Failed("a tool_call of get_weather", show(calls))
    _json_matching(function.get("arguments"), WEATHER_PARAMETERS, "the tool call's arguments")


@check("CAP-002")
def responses_tools(x: Exchange, ctx: Context) -> None:
    calls = [i for i in supported(x).get("output") or [] if isinstance(i, dict) and i.get("type") == "function_call"]
    if not calls or calls[0].get("name") != "get_weather":
        raise Failed("a function_call output item for get_weather", show(calls))
    _json_matching(calls[0].get("arguments"), WEATHER_PARAMETERS, "the function call's arguments")


@check("CAP-003")
def messages_tools(x: Exchange, ctx: Context) -> None:
    blocks = [b for b in supported(x).get("content") or [] if isinstance(b, dict) and b.get("type") == "tool_use"]
    if not blocks or blocks[0].get("name") != "get_weather":
        raise Failed("a tool_use block for get_weather", show(blocks))
    _json_matching(json.dumps(blocks[0].get("input")), WEATHER_PARAMETERS, "the tool_use input")


@check("CAP-004")
def chat_json_object(x: Exchange, ctx: Context) -> None:
    _json_matching(_first_message(supported(x)).get("content"), None, "the message content")


@check("CAP-005")
def chat_json_schema(x: Exchange, ctx: Context) -> None:
    _json_matching(_first_message(supported(x)).get("content"), TASK_SCHEMA, "the message content")


@check("CAP-006")
def responses_json_schema(x: Exchange, ctx: Context) -> None:
    _json_matching(response_text(supported(x)), TASK_SCHEMA, "the output text")


def _answers_with_text(x: Exchange, what: str) -> None:
    body = supported(x)
    if not response_text(body):
        raise Failed(f"a text answer about the {what}", show(body.get("output")))


@check("CAP-007")
def image_input(x: Exchange, ctx: Context) -> None:
    _answers_with_text(x, "image")


@check("CAP-008")
def file_input(x: Exchange, ctx: Context) -> None:
    _answers_with_text(x, "file")


QUOTED_WORDS = 3  # how many of the stored reply's first words the follow-up must repeat
FOLLOW_UP = f"Repeat the first {QUOTED_WORDS} words of your previous reply, exactly."


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@check("CAP-009", whole=True)
def stored_follow_up(xs: list[Exchange], ctx: Context) -> None:
    first = supported(xs[0])
    if len(xs) < 2:
        raise Failed("a stored response id to follow up", f"id {show(first.get('id'))}: nothing to continue from")
    body = supported(xs[1])
    if body.get("previous_response_id") not in (None, first.get("id")):
        raise Failed(f"previous_response_id {first.get('id')}", show(body.get("previous_response_id")))
    quoted = _words(response_text(first))[:QUOTED_WORDS]
    if not quoted:
        raise Failed("a stored response with text to continue from", show(first.get("output")))
    words = _words(response_text(body))
    if not any(words[i:i + len(quoted)] == quoted for i in range(len(words))):
        raise Failed(f"a follow-up that uses the stored reply: its first words {' '.join(quoted)!r} repeated",
                     show(response_text(body), 160) or show(body.get("output")))


def stored_follow_up_body(ctx: Context, earlier: list[Exchange]) -> dict | None:
    """The second step of CAP-009: continue from the response the first step stored, asking for what only it knows.

    Nothing is sent when the first step stored nothing (no 2xx with an id): a billed request would prove nothing."""
    first = earlier[0].json() if earlier and earlier[0].status is not None and 200 <= earlier[0].status < 300 else None
    previous = first.get("id") if isinstance(first, dict) else None
    if not isinstance(previous, str):
        return None
    return {"model": ctx.model, "input": FOLLOW_UP, "previous_response_id": previous, "store": True,
            "max_output_tokens": 32}


# A public PDF of one page, as small as a file can be: the page documents `input_file` parts by `file_url`, so the
# upstream fetches it (a live run depends on that host; the reference server does not fetch).
SMALL_PDF_URL = "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf"


@check("CAP-010")
def chat_image_input(x: Exchange, ctx: Context) -> None:
    content = _first_message(supported(x)).get("content")
    if not isinstance(content, str) or not content:
        raise Failed("a text answer about the image", show(content))


@check("CAP-011")
def file_url_input(x: Exchange, ctx: Context) -> None:
    _answers_with_text(x, "file")


def stored_follow_up_request(ctx: Context, earlier: list[Exchange]) -> Request | None:
    body = stored_follow_up_body(ctx, earlier)
    return None if body is None else Request("POST", "/responses", body)

"""CAPABILITIES: optional features that depend on the model, each judged twice.

"Supported" (CAP-0NN, MAY): the request is accepted (passed), declined with a
proper 4xx (not supported, skipped), or broken (a 5xx, a malformed error or
answer: failed). "If accepted, honoured" (CAP-1NN, MUST): a capability answered
2xx must have been done, by evidence the server, not the model, produces: a
forced tool is called, a JSON mode yields JSON, an image, a file or a stored
response shows in the input tokens (see evidence.py). A silent ignore is the
worst a gateway can do to a client, so it fails a MUST.

One rule, in `supported`, for every probe and every step of one: a 4xx in the
endpoint's error shape is "not supported".
"""

from __future__ import annotations

import base64
import json
from typing import Any

import jsonschema

from ..wire.exchange import Exchange, Request
from . import conversations as conv
from . import input_forms as inputs
from .case import Context, Failed, NotJudged, Unsupported, check
from .evidence import baseline_of, carried, nth, words
from .expect import error_for, event_objects, json_object, show
from .messages_blocks import NO_INPUT, streamed_blocks
from .responses import response_text

WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
# The forced call every tools probe asks for, shared by the cases and the SDK probe that streams it on /responses.
WEATHER_QUESTION = "What is the weather in Paris?"
WEATHER_TOOL_RESPONSES = {"type": "function", "name": "get_weather", "description": "Current weather in a city.",
                          "parameters": WEATHER_PARAMETERS}
FORCED_WEATHER_RESPONSES = {"type": "function", "name": "get_weather"}
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


def _first_choice(body: dict) -> dict:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise Failed("choices as a non-empty list of choice objects", show(choices))
    return choices[0]


def _first_message(body: dict) -> dict:
    message = _first_choice(body).get("message")
    return message if isinstance(message, dict) else {}


def _output(body: dict) -> list:
    output = body.get("output")
    if not isinstance(output, list):
        raise Failed("output as a list of items", show(output))
    return output


@check("CAP-001")
def chat_tools(x: Exchange, ctx: Context) -> None:
    _first_message(supported(x))


@check("CAP-101")
def chat_tools_honoured(x: Exchange, ctx: Context) -> None:
    calls = _first_message(supported(x)).get("tool_calls") or []
    function = (calls[0].get("function") or {}) if calls and isinstance(calls[0], dict) else {}
    if function.get("name") != "get_weather":
        raise Failed("the forced tool called: a tool_call of get_weather", show(calls))
    _json_matching(function.get("arguments"), WEATHER_PARAMETERS, "the tool call's arguments")


@check("CAP-002")
def responses_tools(x: Exchange, ctx: Context) -> None:
    _output(supported(x))


@check("CAP-102")
def responses_tools_honoured(x: Exchange, ctx: Context) -> None:
    calls = [i for i in _output(supported(x)) if isinstance(i, dict) and i.get("type") == "function_call"]
    if not calls or calls[0].get("name") != "get_weather":
        raise Failed("the forced tool called: a function_call output item for get_weather", show(calls))
    _json_matching(calls[0].get("arguments"), WEATHER_PARAMETERS, "the function call's arguments")


def _content(body: dict) -> list:
    content = body.get("content")
    if not isinstance(content, list):
        raise Failed("content as a list of blocks", show(content))
    return content


@check("CAP-003")
def messages_tools(x: Exchange, ctx: Context) -> None:
    _content(supported(x))


@check("CAP-103")
def messages_tools_honoured(x: Exchange, ctx: Context) -> None:
    blocks = [b for b in _content(supported(x)) if isinstance(b, dict) and b.get("type") == "tool_use"]
    if not blocks or blocks[0].get("name") != "get_weather":
        raise Failed("the forced tool called: a tool_use block for get_weather", show(blocks))
    _json_matching(json.dumps(blocks[0].get("input")), WEATHER_PARAMETERS, "the tool_use input")


@check("CAP-103")
def messages_stream_tools_honoured(x: Exchange, ctx: Context) -> None:
    """The same in a stream (issue 24): the streamed tool_use block names the forced tool, and its input, as a client
    reads it (its input_json_delta pieces joined), matches the tool's schema."""
    if x.status is not None and 400 <= x.status < 500:
        supported(x)
    blocks = [b for b in streamed_blocks(event_objects(x)) if b.type == "tool_use"]
    if not blocks or blocks[0].start.get("name") != "get_weather":
        raise Failed("the forced tool called: a streamed tool_use block for get_weather", show([b.start for b in blocks]))
    value = blocks[0].input
    text = blocks[0].joined("input_json_delta", "partial_json") if value is NO_INPUT else json.dumps(value)
    _json_matching(text, WEATHER_PARAMETERS, "the streamed tool_use input")


def _chat_json(x: Exchange, schema: dict | None) -> None:
    """A JSON mode is the provider's to enforce: the content is JSON (matching the schema), unless it was cut at
    max_tokens before the JSON could close."""
    choice = _first_choice(supported(x))
    if choice.get("finish_reason") == "length":
        raise NotJudged("the answer was cut at max_tokens before its JSON could close")
    _json_matching((choice.get("message") or {}).get("content"), schema, "the message content")


@check("CAP-004")
def chat_json_object(x: Exchange, ctx: Context) -> None:
    _first_message(supported(x))


@check("CAP-104")
def chat_json_object_honoured(x: Exchange, ctx: Context) -> None:
    _chat_json(x, None)


@check("CAP-005")
def chat_json_schema(x: Exchange, ctx: Context) -> None:
    _first_message(supported(x))


@check("CAP-105")
def chat_json_schema_honoured(x: Exchange, ctx: Context) -> None:
    _chat_json(x, TASK_SCHEMA)


@check("CAP-006")
def responses_json_schema(x: Exchange, ctx: Context) -> None:
    _output(supported(x))


@check("CAP-106")
def responses_json_schema_honoured(x: Exchange, ctx: Context) -> None:
    body = supported(x)
    _output(body)
    if (body.get("incomplete_details") or {}).get("reason") == "max_output_tokens":
        raise NotJudged("the answer was cut at max_output_tokens before its JSON could close")
    _json_matching(response_text(body), TASK_SCHEMA, "the output text")


def _part_accepted(xs: list[Exchange], index: int, what: str) -> dict:
    body = supported(nth(xs, index, what))
    _output(body)
    return body


def _part_carried(xs: list[Exchange], index: int, what: str, key: str = "input_tokens") -> None:
    body = supported(nth(xs, index, what))
    carried(baseline_of(xs, inputs.ALONE), body, key, what)


@check("CAP-007", whole=True)
def image_input(xs: list[Exchange], ctx: Context) -> None:
    _part_accepted(xs, inputs.WITH_IMAGE, "an input_image part")


@check("CAP-107", whole=True)
def image_input_honoured(xs: list[Exchange], ctx: Context) -> None:
    _part_carried(xs, inputs.WITH_IMAGE, "image")


@check("CAP-008", whole=True)
def file_input(xs: list[Exchange], ctx: Context) -> None:
    _part_accepted(xs, inputs.WITH_FILE, "an input_file part")


@check("CAP-108", whole=True)
def file_input_honoured(xs: list[Exchange], ctx: Context) -> None:
    _part_carried(xs, inputs.WITH_FILE, "file")


@check("CAP-009", whole=True)
def stored_follow_up(xs: list[Exchange], ctx: Context) -> None:
    first = supported(xs[0])
    if len(xs) < 2:
        raise Failed("a stored response id to follow up", f"id {show(first.get('id'))}: nothing to continue from")
    body = supported(xs[1])
    _output(body)
    if body.get("previous_response_id") not in (None, first.get("id")):
        raise Failed(f"previous_response_id {first.get('id')}", show(body.get("previous_response_id")))


@check("CAP-109", whole=True)
def stored_follow_up_honoured(xs: list[Exchange], ctx: Context) -> None:
    """The follow-up asks the stored question again: with the stored response carried, its input tokens exceed the
    first request's by half the words of that question and its reply."""
    first = supported(xs[0])
    if len(xs) < 2:
        raise Failed("a stored response id to follow up", f"id {show(first.get('id'))}: nothing to continue from")
    body = supported(xs[1])
    question = xs[0].request.json_body.get("input") if isinstance(xs[0].request.json_body, dict) else ""
    carried(first, body, "input_tokens", "stored response",
            words(question if isinstance(question, str) else "") + words(response_text(first)))


def stored_follow_up_body(ctx: Context, earlier: list[Exchange]) -> dict | None:
    """The second step of CAP-009: the first request again, continuing from the response it stored, so its input
    tokens show whether the stored response was carried (the first request is the same question without it).

    Nothing is sent when the first step stored nothing (no 2xx with an id): a billed request would prove nothing."""
    first = earlier[0].json() if earlier and earlier[0].status is not None and 200 <= earlier[0].status < 300 else None
    previous = first.get("id") if isinstance(first, dict) else None
    if not isinstance(previous, str) or not isinstance(earlier[0].request.json_body, dict):
        return None
    return {**earlier[0].request.json_body, "previous_response_id": previous}


# A public PDF of one page, as small as a file can be: the page documents `input_file` parts by `file_url`, so the
# upstream fetches it (a live run depends on that host; the reference server does not fetch).
SMALL_PDF_URL = "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf"


@check("CAP-010", whole=True)
def chat_image_input(xs: list[Exchange], ctx: Context) -> None:
    _first_message(supported(nth(xs, conv.WITH_IMAGE, "an image_url part")))


@check("CAP-110", whole=True)
def chat_image_input_honoured(xs: list[Exchange], ctx: Context) -> None:
    body = supported(nth(xs, conv.WITH_IMAGE, "an image_url part"))
    _first_message(body)
    carried(baseline_of(xs, conv.ALONE), body, "prompt_tokens", "image")


@check("CAP-011", whole=True)
def file_url_input(xs: list[Exchange], ctx: Context) -> None:
    _part_accepted(xs, inputs.WITH_FILE_URL, "an input_file part by file_url")


@check("CAP-111", whole=True)
def file_url_input_honoured(xs: list[Exchange], ctx: Context) -> None:
    _part_carried(xs, inputs.WITH_FILE_URL, "file by URL")


def stored_follow_up_request(ctx: Context, earlier: list[Exchange]) -> Request | None:
    body = stored_follow_up_body(ctx, earlier)
    return None if body is None else Request("POST", "/responses", body)

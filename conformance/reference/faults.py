"""The named faults of the reference server: each one breaks one promise, so the suite can be shown to catch it.

A broken server is the reference server with faults switched on
(`ReferenceConfig(faults=frozenset({"chat_no_done"}))`). Each fault is a
switch at the one place its behaviour lives (auth, an endpoint, the SSE
writer), never a second copy of the behaviour. The self-test
(`tests/selftest/`) holds which requirements each fault must fail, and the
fuzzer's tests use the ones named for it.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from ..contract import document

STALL_AFTER_EVENTS = 3  # hostile streams send this many events, then stall or trickle forever
KEEP_ALIVE_S = 0.05
HUGE_BODY_BYTES = 10 * 1024 * 1024

FAULTS: dict[str, str] = {
    # Authentication
    "no_auth": "Every request is served, with or without a key, right or wrong.",
    "wrong_key_accepted": "Any key is accepted; a request without a key is still refused.",
    "bearer_only": "`X-API-KEY` is ignored: only `Authorization: Bearer` authenticates.",
    "models_bearer_refused": "`GET /models` ignores `Authorization: Bearer` and takes only `X-API-KEY`.",
    "no_key_500": "A request without a key crashes the server: 500.",
    "key_echoed": "A 401 quotes the key that was sent.",
    "key_in_body": "`GET /models` names the caller's own key as each model's `owned_by`.",
    # Models
    "models_no_list_object": "`GET /models` leaves out `object: \"list\"`.",
    "models_incomplete": "`GET /models` lists only its first model, though it serves them all.",
    "models_10mb": "`GET /models` answers with a 10 MB body.",
    # Chat completions
    "chat_body_off_schema": "A chat completion body without its `id`, against the response schema.",
    "chat_choices_not_list": "A chat completion's `choices` is one choice object instead of a list.",
    "chat_n_ignored": "`n` is accepted, but one choice is generated.",
    "chat_max_tokens_ignored": "Chat's `max_tokens` is validated, then ignored.",
    "huge_max_tokens_refused": "A chat `max_tokens` above the model's output limit is refused with 400, not capped.",
    "chat_usage_miscounted": "Chat usage `total_tokens` is one more than prompt + completion, in bodies and streams.",
    # Chat streams
    "chat_no_done": "A chat stream ends without `data: [DONE]`.",
    "chat_chunk_object_wrong": "Chat stream chunks say `object: \"chat.completion\"`.",
    "chat_no_finish_reason": "No chunk of a chat stream carries a `finish_reason`.",
    "chat_no_role": "The first delta of a chat stream has no `role`.",
    "chat_chunk_ids_vary": "Every chat stream chunk has an `id` of its own.",
    "chat_chunk_invalid_json": "The second event of every chat stream is JSON cut short.",
    "usage_only_when_asked": "Stream usage only with `stream_options.include_usage: true` (OpenAI's rule, not "
                             "CRUN's).",
    "no_stream_usage": "Chat streams never carry usage, even when asked.",
    "stream_usage_twice": "The usage chunk of a chat stream is sent twice.",
    "usage_chunk_with_choices": "Stream usage rides on the last choice chunk instead of a chunk with `choices: []`.",
    # Unknown models and error bodies
    "unknown_model_200": "An unknown model is served by the first model, 200.",
    "unknown_model_400": "An unknown model is refused with 400 instead of 404.",
    "unknown_model_no_code": "An unknown model's error has no `code`.",
    "unknown_model_streams": "An unknown model asked to stream gets a 200 stream from the first model.",
    "messages_openai_errors": "`/messages` errors come in the OpenAI shape.",
    # Legacy completions
    "completions_chat_shaped": "Text completion choices carry a chat `message` instead of `text`.",
    "completions_stream": "`/completions` streams when asked.",
    "completions_stream_500": "`stream: true` on `/completions` crashes the server: 500.",
    # Parameters
    "temperature_unchecked": "`temperature` is not range-checked: 5 is accepted.",
    "malformed_json_500": "A body that is not JSON crashes the server: 500.",
    "param_error_bare": "400 refusals on the OpenAI paths are a bare `{\"message\": ...}`, not the OpenAI error "
                        "object.",
    "param_not_named": "Refusals leave `error.param` null.",
    "unknown_field_500": "A body field the contract does not define crashes the server: 500.",
    # Responses
    "responses_usage_chat_names": "Response usage is named `prompt_tokens`/`completion_tokens`, like chat usage.",
    "responses_no_output_text": "A response without the top-level `output_text`.",
    "responses_usage_miscounted": "Response usage `total_tokens` is one more than input + output.",
    "responses_max_output_tokens_ignored": "`max_output_tokens` is validated, then ignored.",
    "responses_output_not_list": "A response's `output` is one item object instead of a list.",
    "responses_no_created": "A Responses stream starts without `response.created`.",
    "responses_no_terminal": "A Responses stream ends without its terminal event.",
    "responses_sequence_repeats": "Every event of a Responses stream has `sequence_number` 0.",
    "responses_no_event_lines": "Responses stream events have no `event:` line.",
    "responses_deltas_short": "A Responses stream leaves out its last text delta.",
    "responses_event_off_schema": "Responses text delta events have no `item_id`.",
    # Messages
    "messages_content_not_list": "A message's `content` is one block object instead of a list.",
    "messages_max_tokens_optional": "`/messages` without `max_tokens` is served with a default.",
    "messages_stop_reason_openai": "Messages say `stop_reason: \"stop\"`, OpenAI's word, in bodies and streams.",
    "messages_no_stop": "A Messages stream ends without `message_stop`.",
    "messages_out_of_order": "A Messages stream sends `message_delta` before `content_block_stop`.",
    "messages_no_event_lines": "Messages stream events have no `event:` line (the anthropic SDK reads nothing).",
    "messages_delta_no_stop_reason": "A Messages stream's `message_delta` has `stop_reason: null`.",
    "messages_done_marker": "A Messages stream ends with an OpenAI-style `data: [DONE]`.",
    "messages_event_off_schema": "Messages `content_block_stop` events have no `index`.",
    # Optional capabilities
    "capabilities_declined": "Tools, structured output, image and file input and stored responses are refused "
                             "with a proper 400.",
    "capabilities_broken": "Tools and structured output are silently dropped, image and file input get an empty "
                           "answer, stored responses are never found.",
    # Every stream, every JSON body (most of these are the self-test's hostile servers)
    "stream_as_json": "Streams are served as `application/json`.",
    "stream_stalls": f"Streams send {STALL_AFTER_EVENTS} events, then nothing, and never close.",
    "stream_endless": f"Streams send {STALL_AFTER_EVENTS} events, then a keep-alive comment every "
                      f"{KEEP_ALIVE_S:g} s, forever.",
    "sse_no_blank_lines": "Stream events are not separated by blank lines.",
    "json_garbage": "Every JSON body, errors included, is replaced by garbage bytes (the status is kept).",
    # Faults that appear only under concurrency (issue 15): thresholds in load_faults.py, above certify's concurrency
    "load_usage_dropped": "Chat streams leave out usage while 12 or more streams are open.",
    "load_503_no_retry_after": "Requests get 503 without `Retry-After` while 16 or more are in flight.",
}

UNKNOWN_FIELD_SCHEMAS = {
    "/chat/completions": "ChatCompletionRequest",
    "/completions": "CompletionRequest",
    "/responses": "ResponseRequest",
    "/messages": "MessageRequest",
}
GARBAGE = b"\x00\xff\xfe{not json at all \x80\x81\r\n\x1b[2J"
# Faults that let one request field through unchecked: the contract check passes over it as well.
UNCHECKED_FIELDS = {"temperature_unchecked": "temperature", "messages_max_tokens_optional": "max_tokens"}


def crash_on_unknown_field(endpoint: str, body: dict[str, Any]) -> None:
    """`unknown_field_500`: fail like a server that chokes on a field the contract does not define.

    `endpoint` is the path below the prefix, e.g. `/chat/completions`.
    """
    name = UNKNOWN_FIELD_SCHEMAS.get(endpoint)
    known = set(document()["components"]["schemas"][name]["properties"]) if name else set(body)
    unknown = sorted(set(body) - known)
    if unknown:
        raise RuntimeError(f"unexpected field {unknown[0]!r}")


def unchecked_fields(faults: frozenset[str]) -> frozenset[str]:
    """The top-level fields the switched-on faults leave unchecked."""
    return frozenset(name for fault, name in UNCHECKED_FIELDS.items() if fault in faults)


def capability_asked(body: dict[str, Any]) -> str | None:
    """The parameter of the first optional capability a request asks for, if any."""
    if body.get("tools"):
        return "tools"
    if isinstance(body.get("response_format"), dict) and body["response_format"].get("type") != "text":
        return "response_format"
    text = body.get("text")
    if isinstance(text, dict) and isinstance(text.get("format"), dict) and text["format"].get("type") != "text":
        return "text.format"
    if body.get("store") is True or body.get("previous_response_id"):
        return "store"
    items = body.get("input") if isinstance(body.get("input"), list) else []
    parts = [p for i in items if isinstance(i, dict) and isinstance(i.get("content"), list) for p in i["content"]]
    if any(isinstance(p, dict) and p.get("type") in ("input_image", "input_file") for p in parts):
        return "input"
    return None


def strip_capabilities(body: dict[str, Any]) -> None:
    """`capabilities_broken`, for tools and structured output: drop them and answer as if never asked."""
    for name in ("tools", "tool_choice", "response_format", "text"):
        body.pop(name, None)


def huge_padding() -> str:
    """`models_10mb`: filler that makes a JSON body about 10 MB."""
    return "x" * HUGE_BODY_BYTES


Message = dict[str, Any]


class GarbledJson:
    """`json_garbage`: ASGI middleware that swaps every JSON body for garbage bytes and keeps the status."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        garbled = False

        async def send_garbled(message: Message) -> None:
            nonlocal garbled
            if message["type"] == "http.response.start":
                headers = dict(message["headers"])
                garbled = headers.get(b"content-type", b"").startswith(b"application/json")
                if garbled:
                    headers[b"content-length"] = str(len(GARBAGE)).encode()
                    message = {**message, "headers": list(headers.items())}
            elif message["type"] == "http.response.body" and garbled:
                message = {**message, "body": GARBAGE}
            await send(message)

        await self.app(scope, receive, send_garbled if scope["type"] == "http" else send)

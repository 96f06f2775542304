"""The requirement catalogue: every promise the suite judges, in one place.

Each requirement has an ID, a level per profile (BCP 14: MUST, SHOULD, MAY;
absent means the profile does not ask for it), the endpoints it is checked on,
a one-line statement and its source. Checks refer to requirements by ID; the
report is built from this table; a requirement no check names is a defect
(tests/test_catalogue.py holds both directions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

PROFILES = ("crun", "openai")
DEFAULT_PROFILE = "crun"  # everything the CRUN pages promise
LEVELS = ("MUST", "SHOULD", "MAY")

MODELS = "GET /models"
CHAT = "POST /chat/completions"
COMPLETIONS = "POST /completions"
RESPONSES = "POST /responses"
MESSAGES = "POST /messages"
ALL = (MODELS, CHAT, COMPLETIONS, RESPONSES, MESSAGES)
GENERATING = (CHAT, COMPLETIONS, RESPONSES, MESSAGES)


@dataclass(frozen=True)
class Source:
    """Where a requirement comes from: a document a reader can open, and the section it rests on."""

    title: str
    url: str | None = None
    section: str | None = None

    def __str__(self) -> str:
        where = f"{self.title}, {self.section}" if self.section else self.title
        return f"{where} <{self.url}>" if self.url else where

    @property
    def seed(self) -> str | None:
        """The seed page's file name when the source is one of the project's seed pages, else None."""
        found = re.search(r"seeds/(\d{3}_[0-9a-f]{16}\.txt)", self.title)
        return found.group(1) if found else None


# The seed pages: the CRUN gateway's public documentation (https://api.crun.ai/, its docs pages) and one page of
# Crazyrouter's, kept as text in the project's seeds/; a section names the heading the quote sits under.
QUICKSTART_PAGE = "CRUN docs: LLM 快速开始 / 概览 (seeds/000_d14b540544e8e5dc.txt)"
RESPONSES_PAGE = "CRUN docs: Responses API, POST /api/v1/responses (seeds/001_67516f594e11cbb5.txt)"
OVERVIEW_PAGE = "CRUN docs: LLM Overview (seeds/002_cf5e24ca0f5b8a2f.txt)"
CHAT_PAGE = "CRUN docs: Crun Chat Completions API (seeds/003_8a9b2bc15dae9007.txt)"
CRAZYROUTER_PAGE = "Crazyrouter docs: 创建聊天补全, POST /v1/chat/completions (seeds/004_29874b0cd0671835.txt)"


def _page(title: str) -> Callable[[str], Source]:
    """Sources on one seed page, by section: `overview("Authentication")`."""

    def at(section: str) -> Source:
        return Source(title, section=section)

    return at


quickstart, responses_page, overview, chat_page, crazyrouter = map(
    _page, (QUICKSTART_PAGE, RESPONSES_PAGE, OVERVIEW_PAGE, CHAT_PAGE, CRAZYROUTER_PAGE))


CRUN_OVERVIEW = Source(OVERVIEW_PAGE)
CRUN_CHAT = Source(CHAT_PAGE)
CRUN_RESPONSES = Source(RESPONSES_PAGE)
CRAZYROUTER = Source(CRAZYROUTER_PAGE)
SDKS = overview("Overview")
SDK_DROP_IN = ("You can keep using the official OpenAI SDKs, Anthropic SDKs, or any client already compatible with "
               "OpenAI-style chat APIs, by only changing the base URL and API key.")
OPENAI_CHAT = Source("OpenAI API reference: Create chat completion",
                     "https://platform.openai.com/docs/api-reference/chat/create")
OPENAI_CHAT_OBJECT = Source("OpenAI API reference: The chat completion object",
                            "https://platform.openai.com/docs/api-reference/chat/object")
OPENAI_CHAT_STREAMING = Source("OpenAI API reference: The chat completion chunk object",
                               "https://platform.openai.com/docs/api-reference/chat-streaming")
OPENAI_FUNCTION_CALLING = Source("OpenAI guides: Function calling",
                                 "https://platform.openai.com/docs/guides/function-calling", "Streaming")
OPENAI_COMPLETIONS = Source("OpenAI API reference: Completions (legacy), the completion object",
                            "https://platform.openai.com/docs/api-reference/completions/object")
OPENAI_RESPONSES = Source("OpenAI API reference: The response object",
                          "https://platform.openai.com/docs/api-reference/responses/object")
OPENAI_RESPONSES_STREAMING = Source("OpenAI API reference: Responses streaming events",
                                    "https://platform.openai.com/docs/api-reference/responses-streaming")
OPENAI_ERRORS = Source("OpenAI guides: Error codes", "https://platform.openai.com/docs/guides/error-codes",
                       "API errors")
# The REST API's error object documents no field; the guide's table of error types says what a 400 means and owes.
OPENAI_BAD_REQUEST = Source("OpenAI guides: Error codes", "https://platform.openai.com/docs/guides/error-codes",
                            "Python library error types: BadRequestError")
ANTHROPIC = Source("Anthropic API reference: Messages", "https://docs.anthropic.com/en/api/messages")
ANTHROPIC_STREAMING = Source("Anthropic API reference: Streaming Messages",
                             "https://docs.anthropic.com/en/api/messages-streaming")
ANTHROPIC_ERRORS = Source("Anthropic API reference: Errors", "https://docs.anthropic.com/en/api/errors")
OPENAI_REASONING = Source("OpenAI guides: Reasoning models", "https://platform.openai.com/docs/guides/reasoning",
                          "Allocating space for reasoning")
OPENAI_RESPONSES_GET = Source("OpenAI API reference: Get a model response",
                              "https://platform.openai.com/docs/api-reference/responses/get", "starting_after")
OPENAI_STRUCTURED_OUTPUTS = Source("OpenAI guides: Structured Outputs",
                                   "https://platform.openai.com/docs/guides/structured-outputs", "Supported models")
RFC_6750 = Source("RFC 6750, The OAuth 2.0 Authorization Framework: Bearer Token Usage",
                  "https://www.rfc-editor.org/rfc/rfc6750", "Abstract")
RFC_9110 = Source("RFC 9110, HTTP Semantics", "https://www.rfc-editor.org/rfc/rfc9110")
OPENAPI_31 = Source("OpenAPI Specification 3.1.0, Responses Object", "https://spec.openapis.org/oas/v3.1.0#responses-object")
CONTRACT = Source("The wire contract, openapi/crun.yaml, as schemathesis judges it", section="info.description")


@dataclass(frozen=True)
class Requirement:
    id: str
    levels: dict[str, str] = field(hash=False)
    endpoints: tuple[str, ...]
    statement: str
    source: Source
    capability: bool = False
    quote: str = ""

    def cited(self) -> str:
        """The source and the sentence the requirement rests on, as `list` and the reports print it."""
        return f'{self.source}: "{self.quote}"' if self.quote else str(self.source)

    def level(self, profile: str) -> str | None:
        """The level this profile asks for, or None when the profile does not ask for it."""
        return self.levels.get(profile)


def _r(id: str, endpoints, statement: str, source: Source, *, crun: str | None = None, openai: str | None = None,
       capability: bool = False, quote: str = "") -> Requirement:
    levels = {name: level for name, level in (("crun", crun), ("openai", openai)) if level}
    endpoints = (endpoints,) if isinstance(endpoints, str) else tuple(endpoints)
    return Requirement(id, levels, endpoints, statement, source, capability, quote)


def _both(level: str) -> dict[str, str]:
    return {"crun": level, "openai": level}


MAX_OUTPUT_TOKENS_REACHED = ("If the generated tokens reach the context window limit or the max_output_tokens value "
                             "you've set, you'll receive a response with a status of incomplete and incomplete_details "
                             "with reason set to max_output_tokens.")
FINISH_REASON = ("The reason the model stopped generating tokens. This will be stop if the model hit a natural stop "
                 "point or a provided stop sequence, length if the maximum number of tokens specified in the request "
                 "was reached, content_filter if content was omitted due to a flag from our content filters, "
                 "tool_calls if the model called a tool")
INCLUDE_USAGE = ("If set, an additional chunk will be streamed before the data: [DONE] message. The usage field on "
                 "this chunk shows the token usage statistics for the entire request, and the choices field will "
                 "always be an empty array.")


# The suite's first requirements: keys, the model list, each endpoint's answers and streams, errors, parameters,
# capabilities and the official SDKs.
SUITE_REQUIREMENTS: tuple[Requirement, ...] = (
    # Authentication
    _r("AUTH-001", ALL, "A request with `Authorization: Bearer KEY` is accepted.", overview("Authentication"),
       quote="You can authenticate in either of these ways: … Authorization: Bearer YOUR_API_KEY", **_both("MUST")),
    _r("AUTH-002", ALL, "A request with `X-API-KEY: KEY` is accepted.", overview("Authentication"),
       quote="You can authenticate in either of these ways: … X-API-KEY: YOUR_API_KEY", crun="MUST"),
    _r("AUTH-003", ALL, "A request without a key is refused with 401 and an error body in the endpoint's error format.",
       OPENAI_ERRORS, quote="401 - Invalid Authentication … Cause: Invalid Authentication", **_both("MUST")),
    _r("AUTH-004", ALL, "A request with a wrong key as a Bearer token is refused with 401 and an error body in the "
       "endpoint's error format (the OpenAI error object; Anthropic's on `/messages`).", OPENAI_ERRORS,
       quote="401 - Incorrect API key provided … Cause: The requesting API key is not correct.", **_both("MUST")),
    # No page makes "never echo the key" a rule for the server: the pages' and OpenAI's words on keys are advice to
    # the client. The CRUN key is a Bearer token, and RFC 6750 asks that bearer tokens be kept from disclosure, in
    # words that are no BCP 14 MUST: a SHOULD.
    _r("AUTH-005", ALL, "No response body ever contains the API key sent, right or wrong.", RFC_6750,
       quote="Any party in possession of a bearer token (a \"bearer\") can use it to get access to the associated "
             "resources (without demonstrating possession of a cryptographic key). To prevent misuse, bearer tokens "
             "need to be protected from disclosure in storage and in transport.", **_both("SHOULD")),
    _r("AUTH-006", ALL, "A request with a wrong key in `X-API-KEY` is refused with 401 and an error body in the "
       "endpoint's error format (the OpenAI error object; Anthropic's on `/messages`).", overview("Authentication"),
       quote="You can authenticate in either of these ways: … X-API-KEY: YOUR_API_KEY", crun="MUST"),
    # Models
    _r("MODELS-001", MODELS, "`GET /models` answers 200 with `object: \"list\"` and items carrying `id`, "
       "`object: \"model\"`, `created` and `owned_by`.", overview("Step 1: List Available Models"),
       quote="GET /models: list currently available public model IDs", **_both("MUST")),
    _r("MODELS-002", MODELS, "Every model the suite uses is listed by `GET /models`: a model that answers is "
       "currently available.", overview("Overview"), quote="GET /models: list currently available public model IDs",
       **_both("MUST")),
    # Chat completions, non-streaming
    _r("CHAT-001", CHAT, "A chat completion is a `chat.completion` object with an assistant message and a "
       "`finish_reason` per choice.", OPENAI_CHAT_OBJECT, quote="The object type, which is always chat.completion.",
       **_both("MUST")),
    _r("CHAT-002", CHAT, "`n: 2` gives two choices, indexed 0 and 1.", chat_page("Body: n"),
       quote="Number of completion choices to generate.", crun="MUST", openai="SHOULD"),
    _r("CHAT-003", CHAT, "`max_tokens: 5` against a passage to repeat caps the answer: `completion_tokens` <= 5, in "
       "JSON and in streams; a JSON answer that reached the limit ends with `finish_reason: \"length\"` (judged only "
       "then).",
       crazyrouter("流式响应 (notes)"),
       quote="max_tokens 参数限制的是输出 Token 数,不包括输入。如果输出被截断,finish_reason 会返回 length",
       **_both("MUST")),
    _r("CHAT-004", CHAT, "Usage numbers are integers and `total_tokens` = `prompt_tokens` + `completion_tokens`.",
       OPENAI_CHAT_OBJECT, quote="Total number of tokens used in the request (prompt + completion).", **_both("MUST")),
    _r("CHAT-005", CHAT, "A `max_tokens` far above any model's output limit is capped, not refused.", overview("Notes"),
       quote="max_tokens and max_completion_tokens are both supported. The actual value is capped by the selected "
             "model’s output limit.", crun="MUST"),
    _r("CHAT-015", (CHAT, COMPLETIONS), "`created` is a Unix timestamp in seconds, within a day of the answer's own "
       "`Date` header (without one, a plausible date in seconds, not milliseconds): on a chat completion, on a text "
       "completion, and on every chat chunk that sets it (CRUN's own stream sends `created: 0` on content chunks).",
       OPENAI_CHAT_OBJECT, quote="The Unix timestamp (in seconds) of when the chat completion was created.",
       **_both("MUST")),
    _r("CHAT-016", CHAT, "With `n`, `stream` and `logprobs` omitted, the defaults hold: one choice, a JSON answer (not "
       "an event stream), and no log probabilities (`logprobs` null or absent on every choice).",
       crazyrouter("请求参数"),
       quote="n integer 1 生成的回复数量 stream boolean false 是否启用流式输出 … logprobs boolean false 是否返回 logprobs",
       **_both("MUST")),
    # Chat tool calls in JSON answers (issue 24); their streams are CHAT-STREAM-009..013. A proper 4xx refusal of the
    # tools is "not supported" (CHAT-012 holds the crun profile to accepting them).
    _r("CHAT-017", CHAT, "An answer that ends in tool calls under `tool_choice` `\"auto\"` or `\"required\"` has "
       "`finish_reason: \"tool_calls\"`, in JSON and in streams (judged only when it holds tool calls and was not cut "
       "at the limit).", OPENAI_CHAT_OBJECT, quote=FINISH_REASON, **_both("MUST")),
    # OpenAI's own API has answered "stop" after a single forced function (gpt-4o, seen in ollama PR #7963).
    _r("CHAT-018", CHAT, "An answer to a single forced function that calls it has `finish_reason: \"tool_calls\"`, in "
       "JSON and in streams (judged only when it holds the call and was not cut at the limit).", OPENAI_CHAT_OBJECT,
       quote=FINISH_REASON, **_both("SHOULD")),
    _r("CHAT-019", CHAT, "A JSON answer's tool calls are well formed: the message has its `content` key (null or "
       "text), each call has its own non-empty `id`, `type: \"function\"`, and `function.arguments` a string holding "
       "a JSON object (judged unless cut at the limit).", OPENAI_CHAT_OBJECT,
       quote="The arguments to call the function with, as generated by the model in JSON format.", **_both("MUST")),
    # Chat completions, streaming chunk shape
    _r("CHAT-STREAM-001", CHAT, "`stream: true` is answered with `Content-Type: text/event-stream`.", chat_page("Notes"),
       quote="Set stream=true to receive a text/event-stream response.", **_both("MUST")),
    _r("CHAT-STREAM-002", CHAT, "Every event's data is a JSON chunk or the literal `[DONE]`.", OPENAI_CHAT,
       quote="If set to true, the model response data will be streamed to the client as it is generated using "
             "server-sent events.", **_both("MUST")),
    _r("CHAT-STREAM-003", CHAT, "The stream ends with `data: [DONE]` and nothing follows it.",
       overview("Streaming: Example Response"), quote="data: [DONE]", **_both("MUST")),
    _r("CHAT-STREAM-004", CHAT, "Every chunk is a valid `chat.completion.chunk` object.", OPENAI_CHAT_STREAMING,
       quote="The object type, which is always chat.completion.chunk.", **_both("MUST")),
    _r("CHAT-STREAM-005", CHAT, "Each choice gets exactly one non-null `finish_reason` across the stream.",
       OPENAI_CHAT_STREAMING, quote="The reason the model stopped generating tokens. This will be stop if the model "
       "hit a natural stopping point or a provided stop sequence, length if the maximum number of tokens specified "
       "in the request was reached", **_both("MUST")),
    _r("CHAT-STREAM-006", CHAT, "The first delta of each choice carries `role: \"assistant\"`.", crazyrouter("流式响应"),
       quote='"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]',
       **_both("SHOULD")),
    # CRUN's own recorded stream carries "id": "" on its content chunks: the crun profile does not ask for this.
    _r("CHAT-STREAM-007", CHAT, "All chunks share one non-empty `id`.", OPENAI_CHAT_STREAMING,
       quote="A unique identifier for the chat completion. Each chunk has the same ID.", openai="MUST"),
    _r("CHAT-STREAM-008", CHAT, "A chat stream cut by `max_tokens` (its usage `completion_tokens` reached the limit; "
       "judged only then) ends every choice with `finish_reason: \"length\"`.", crazyrouter("流式响应 (notes)"),
       quote="max_tokens 参数限制的是输出 Token 数,不包括输入。如果输出被截断,finish_reason 会返回 length",
       **_both("MUST")),
    # Chat streams of tool calls (issue 24), as OpenAI's function calling guide streams them; a proper 4xx refusal of
    # the tools is "not supported", a stream without tool calls not judged (whether one comes is the model's, unless
    # forced: CAP-101).
    _r("CHAT-STREAM-009", CHAT, "Every `tool_calls` delta has an integer `index`.", OPENAI_FUNCTION_CALLING,
       quote="When the model calls one or more functions the tool_calls field of each delta will be populated. Each "
             "tool_call contains the following fields: … index … Identifies which function call the delta is for",
       **_both("MUST")),
    _r("CHAT-STREAM-010", CHAT, "The first fragment of each streamed call (its first delta at an index) carries a "
       "non-empty `id`, `type: \"function\"` and `function.name`.", OPENAI_FUNCTION_CALLING,
       quote="Many of these fields are only set for the first delta of each tool call, like id, function.name, and "
             "type.", **_both("MUST")),
    _r("CHAT-STREAM-011", CHAT, "The `arguments` fragments of one index join to one JSON object, sent exactly once: "
       "no fragment re-sends what was sent (judged unless the stream was cut at the limit).", OPENAI_FUNCTION_CALLING,
       quote="Instead of aggregating chunks into a single content string, however, you're aggregating chunks into an "
             "encoded arguments JSON object.", **_both("MUST")),
    _r("CHAT-STREAM-012", CHAT, "An index names one call: every `id` and `function.name` a fragment gives at an index "
       "is its first fragment's, and distinct indices have distinct ids.", OPENAI_FUNCTION_CALLING,
       quote="index … Identifies which function call the delta is for", **_both("MUST")),
    _r("CHAT-STREAM-013", CHAT, "The calls a stream assembles by index match the JSON answer to the same request, in "
       "count and names, when both report the same `completion_tokens` (judged only then: otherwise the model "
       "generated differently).", OPENAI_CHAT,
       quote="If set to true, the model response data will be streamed to the client as it is generated using "
             "server-sent events.", **_both("MUST")),
    _r("CHAT-STREAM-014", CHAT, "A chunk with `choices: []` is the usage chunk: it carries the usage (so with "
       "`include_usage: false`, USAGE-006, none comes).", OPENAI_CHAT_STREAMING,
       quote="A list of chat completion choices. Can contain more than one elements if n is greater than 1. Can also "
             "be empty for the last chunk if you set stream_options: {\"include_usage\": true}.", **_both("MUST")),
    _r("CHAT-STREAM-015", CHAT, "A choice's finish chunk is its last: no chunk of that choice comes after the one "
       "carrying its `finish_reason`.", OPENAI_CHAT_STREAMING, quote=FINISH_REASON, **_both("MUST")),
    # Usage inclusion in streams
    # The chat page's "CRUN enables usage reporting for streaming requests when possible" hedges on usage in general;
    # on include_usage it is unconditional, in its notes and here, as is the overview.
    _r("USAGE-001", CHAT, "With `stream_options.include_usage` omitted, usage arrives in the stream before `[DONE]`.",
       chat_page("Body: stream_options"),
       quote="When stream=true, CRUN enables include_usage=true by default if omitted.", crun="MUST"),
    _r("USAGE-002", CHAT, "With `stream_options.include_usage: true`, usage arrives in the stream before `[DONE]`.",
       crazyrouter("流式响应"), quote="设置 stream_options.include_usage … true 后,最后一个 chunk 会包含完整的 usage 信息。",
       **_both("MUST")),
    _r("USAGE-003", CHAT, "Usage in a stream is consistent: integers, `total_tokens` = prompt + completion, "
       "reported once.", OPENAI_CHAT, quote=INCLUDE_USAGE, **_both("MUST")),
    # CRUN's recorded stream puts its usage on the last choice chunk: the crun profile does not ask for this.
    _r("USAGE-004", CHAT, "The usage chunk is a usage-only chunk with `choices: []`.", OPENAI_CHAT, quote=INCLUDE_USAGE,
       openai="MUST"),
    # Seed 004 says it of include_usage true ("最后一个 chunk 会包含完整的 usage 信息"), which CRUN turns on when omitted;
    # OpenAI's chunk object says it of every chunk that carries usage.
    _r("USAGE-005", CHAT, "The chunk with usage is the last chunk before `[DONE]`: no chunk follows it, the finish "
       "chunk included.", OPENAI_CHAT_STREAMING,
       quote="When present, it contains a null value except for the last chunk which contains the token usage "
             "statistics for the entire request.", **_both("MUST")),
    _r("USAGE-006", CHAT, "With `stream_options.include_usage: false`, no chunk carries a non-null usage.",
       chat_page("Body: stream_options"),
       quote="Streaming options. When stream=true, CRUN enables include_usage=true by default if omitted.",
       **_both("MUST")),
    # Errors: unknown models
    _r("ERR-001", GENERATING, "An unknown model is refused with a 4xx status.", chat_page("Notes"),
       quote="Unknown model IDs return an OpenAI-style error body with code: \"model_not_found\".", **_both("MUST")),
    _r("ERR-002", GENERATING, "An unknown model is refused with 404.", ANTHROPIC_ERRORS,
       quote="404 - not_found_error: The requested resource was not found.", **_both("SHOULD")),
    # Only the chat and Responses pages promise model_not_found; none says it of /completions.
    _r("ERR-003", (CHAT, RESPONSES), "An unknown model's error has `error.code: \"model_not_found\"`.",
       chat_page("Notes"), quote="Unknown model IDs return an OpenAI-style error body with code: \"model_not_found\".",
       crun="MUST", openai="SHOULD"),
    _r("ERR-004", (CHAT, RESPONSES, MESSAGES), "An unknown model with `stream: true` gets a JSON error, never a "
       "200 event stream.", chat_page("Notes"),
       quote="Unknown model IDs return an OpenAI-style error body with code: \"model_not_found\".", **_both("MUST")),
    _r("ERR-005", GENERATING, "Error bodies use the endpoint's format: the OpenAI error object, or the Anthropic "
       "error on `/messages`.", overview("Chat Completions API (related resources)"),
       quote="Full API reference for request parameters, streaming, and OpenAI-style error responses.",
       **_both("MUST")),
    # Issue 24: a 2xx is no error. Judged on the answers where a refusal is expected and on the basic answers.
    _r("ERR-006", ALL, "No error comes with a 2xx status: neither an error body (`{\"error\": …}`, Anthropic's "
       "`{\"type\": \"error\", …}`) nor an event stream that opens with one.", RFC_9110,
       quote="The 2xx (Successful) class of status code indicates that the client's request was successfully "
             "received, understood, and accepted.", **_both("MUST")),
    # Legacy completions: streaming is not supported; a 4xx refusal or a JSON answer that ignores `stream` both keep that
    _r("COMP-001", COMPLETIONS, "A text completion is a `text_completion` object with choices carrying `text`.",
       OPENAI_COMPLETIONS, quote="The object type, which is always \"text_completion\"", **_both("MUST")),
    _r("COMP-002", COMPLETIONS, "`stream: true` is refused with a 4xx OpenAI error, not an event stream.",
       overview("Notes"), quote="The legacy /completions endpoint is only provided for compatibility and does not "
                                "support stream=true.", crun="SHOULD"),
    _r("COMP-003", COMPLETIONS, "`stream: true` never causes a 5xx.", overview("Overview"),
       quote="POST /completions: legacy text completions endpoint, without stream support in this compatibility "
             "layer", **_both("MUST")),
    # Parameter validation
    # The pages state ranges, not what a gateway does outside them (issue 23): it must not crash (PARAM-001), it should
    # refuse (PARAM-004), and a refusal, when it refuses, is an OpenAI error (PARAM-002) naming the field (PARAM-003).
    _r("PARAM-001", (CHAT, COMPLETIONS, RESPONSES, MESSAGES), "A parameter outside its documented range, missing or "
       "malformed never gets a 5xx: the client erred, not the server (refused or clamped, either way no crash).",
       RFC_9110, quote="The 5xx (Server Error) class of status code indicates that the server is aware that it has "
       "erred or is incapable of performing the requested method.", **_both("MUST")),
    _r("PARAM-002", (CHAT, COMPLETIONS, RESPONSES), "When such a request is refused (a 4xx; judged only then), the "
       "refusal carries an OpenAI error body.", overview("Chat Completions API (related resources)"),
       quote="Full API reference for request parameters, streaming, and OpenAI-style error responses.",
       **_both("MUST")),
    _r("PARAM-003", (CHAT, COMPLETIONS, RESPONSES), "When such a request is refused (judged only then), the refusal is "
       "a 400 whose `error.param` names the field.", OPENAI_BAD_REQUEST,
       quote="Your request was malformed or missing some required parameters, such as a token or an input. … The "
             "error message should advise you on the specific error made.", **_both("SHOULD")),
    _r("PARAM-004", (CHAT, COMPLETIONS, RESPONSES), "Such a request is refused with a 4xx, not served (a gateway may "
       "clamp a value into range instead, hence SHOULD).", RFC_9110,
       quote="The 4xx (Client Error) class of status code indicates that the client seems to have erred.",
       **_both("SHOULD")),
    # Responses
    _r("RESP-001", RESPONSES, "A response is an `object: \"response\"` with `status`, an output message of "
       "`output_text` parts, and usage named `input_tokens`/`output_tokens`/`total_tokens`.",
       responses_page("API 地址"), quote="该接口遵循 OpenAI Responses 的请求和响应格式。", **_both("MUST")),
    _r("RESP-002", RESPONSES, "A response carries the top-level convenience `output_text`, equal to its text parts.",
       responses_page("响应: output_text"), quote="上游服务提供时返回的便捷文本字段。", crun="SHOULD"),
    _r("RESP-003", RESPONSES, "Response usage adds up: `total_tokens` = `input_tokens` + `output_tokens`.",
       OPENAI_RESPONSES, quote="Represents token usage details including input tokens, output tokens, a breakdown of "
       "output tokens, and the total tokens used.", **_both("MUST")),
    _r("RESP-004", RESPONSES, "`max_output_tokens: 16` against a passage to repeat is respected: `output_tokens` <= "
       "16, in JSON and in streams.",
       responses_page("请求体: max_output_tokens"), quote="最大输出 token 数,会受所选模型限制。", **_both("MUST")),
    _r("RESP-005", RESPONSES, "An answer that reached `max_output_tokens` (`output_tokens` >= the limit; judged only "
       "then) is `status: \"incomplete\"` with `incomplete_details.reason: \"max_output_tokens\"`.", OPENAI_REASONING,
       quote=MAX_OUTPUT_TOKENS_REACHED, **_both("MUST")),
    _r("RESP-STREAM-001", RESPONSES, "`stream: true` is answered with `Content-Type: text/event-stream`.",
       responses_page("流式输出"), quote="设置 stream=true 后,可以从 /responses 接收 Server-Sent Events。", **_both("MUST")),
    _r("RESP-STREAM-002", RESPONSES, "Every event is a JSON Responses event with `type` and `sequence_number`.",
       OPENAI_RESPONSES_STREAMING, quote="The sequence number of this event.", **_both("MUST")),
    _r("RESP-STREAM-003", RESPONSES, "The first event is `response.created`.", OPENAI_RESPONSES_STREAMING,
       quote="An event that is emitted when a response is created.", **_both("MUST")),
    _r("RESP-STREAM-004", RESPONSES, "The last event, and only that one, is `response.completed`, "
       "`response.incomplete` or `response.failed`.", OPENAI_RESPONSES_STREAMING,
       quote="Emitted when the model response is complete.", **_both("MUST")),
    # A stream is resumed after a sequence number: the events are ordered by it.
    _r("RESP-STREAM-005", RESPONSES, "`sequence_number` strictly increases.", OPENAI_RESPONSES_GET,
       quote="The sequence number of the event after which to start streaming.", **_both("MUST")),
    _r("RESP-STREAM-006", RESPONSES, "Each `event:` line names the event's `data.type`.", responses_page("流式输出"),
       quote="每个事件包含一行 event:,以及紧随其后的 JSON data: 载荷。", crun="MUST", openai="SHOULD"),
    _r("RESP-STREAM-007", RESPONSES, "The text deltas concatenate to the `output_text.done` text and the final "
       "response's text.", OPENAI_RESPONSES_STREAMING, quote="Emitted when text content is finalized.",
       **_both("MUST")),
    _r("RESP-STREAM-008", RESPONSES, "A stream that reached `max_output_tokens` (its final `output_tokens` >= the "
       "limit; judged only then) ends with `response.incomplete`, its response `status: \"incomplete\"` with "
       "`incomplete_details.reason: \"max_output_tokens\"`.", OPENAI_REASONING, quote=MAX_OUTPUT_TOKENS_REACHED,
       **_both("MUST")),
    # Function calls and reasoning in a stream (issue 24): each item opened, filled, closed and kept, by its own id.
    _r("RESP-STREAM-009", RESPONSES, "A forced function call is streamed as a `function_call` item: "
       "`response.output_item.added` announces it (its `id`, `call_id` and the forced `name`) before any event of its "
       "arguments (a stream cut at `max_output_tokens` before the call: not judged).", OPENAI_RESPONSES_STREAMING,
       quote="Emitted when a new output item is added.", **_both("MUST")),
    _r("RESP-STREAM-010", RESPONSES, "Every `response.function_call_arguments.delta` and `.done` names, by `item_id` and "
       "`output_index`, the function_call item whose arguments it carries: that item's `id`, not its `call_id`.",
       OPENAI_RESPONSES_STREAMING,
       quote="The ID of the output item that the function-call arguments delta is added to.", **_both("MUST")),
    _r("RESP-STREAM-011", RESPONSES, "Each function_call item gets exactly one `response.function_call_arguments.done`, "
       "after its deltas, with the whole arguments: a JSON object, equal to its deltas joined when deltas came; "
       "required when none came too.", OPENAI_RESPONSES_STREAMING,
       quote="Emitted when function-call arguments are finalized.", **_both("MUST")),
    _r("RESP-STREAM-012", RESPONSES, "Each function_call item is closed by one `response.output_item.done` carrying it "
       "with the `id`, `call_id` and `name` it was announced with, `status: \"completed\"` and the arguments of its "
       "`.done` event.", OPENAI_RESPONSES_STREAMING, quote="Emitted when an output item is marked done.",
       **_both("MUST")),
    _r("RESP-STREAM-013", RESPONSES, "The terminal event's `response.output` holds every function_call item of the "
       "stream as it was closed: the same `id`, `call_id`, `name` and arguments (no terminal event: not judged, "
       "RESP-STREAM-004 judges that).", OPENAI_RESPONSES_STREAMING,
       quote="Emitted when the model response is complete.", **_both("MUST")),
    _r("RESP-STREAM-014", RESPONSES, "Reasoning items, where a stream has them, are opened by "
       "`response.output_item.added` and closed by `response.output_item.done` with one `id`; every "
       "`response.reasoning_summary_*` and `response.reasoning_text.*` event names an opened reasoning item by "
       "`item_id` and `output_index`; the text deltas of each summary part join to its `.done` text, which the closed "
       "item's summary holds.", OPENAI_RESPONSES_STREAMING,
       quote="Emitted when a delta is added to a reasoning summary text.", **_both("MUST")),
    # Messages
    _r("MSG-001", MESSAGES, "A message is `type: \"message\"`, `role: \"assistant\"`, with content blocks, a "
       "documented `stop_reason` and usage `input_tokens`/`output_tokens`.", ANTHROPIC,
       quote="Send a structured list of input messages with text and/or image content, and the model will generate "
             "the next message in the conversation.", **_both("MUST")),
    _r("MSG-002", MESSAGES, "A request without `max_tokens` is refused with 400 and an Anthropic error body.",
       ANTHROPIC, quote="The maximum number of tokens to generate before stopping.",
       **_both("MUST")),
    # Anthropic's reference allows `max_tokens: 0` ("Set to 0 to populate the prompt cache without generating a
    # response"): it is no bad parameter.
    _r("MSG-003", MESSAGES, "A request without `messages`, with `temperature` outside 0..1, or not JSON is refused "
       "with 400 and an Anthropic `invalid_request_error` body.", ANTHROPIC_ERRORS,
       **_both("MUST"), quote="400 - invalid_request_error: There was an issue with the format or content of your request."),
    _r("MSG-STREAM-001", MESSAGES, "`stream: true` is answered with `Content-Type: text/event-stream`.",
       ANTHROPIC_STREAMING, quote="When creating a Message, you can set \"stream\": true to incrementally stream the "
       "response using server-sent events (SSE).", **_both("MUST")),
    _r("MSG-STREAM-002", MESSAGES, "Every event is a valid Anthropic stream event.", ANTHROPIC_STREAMING,
       quote="Each server-sent event includes a named event type and associated JSON data.", **_both("MUST")),
    _r("MSG-STREAM-003", MESSAGES, "Events come in order: `message_start`, then for each content block, at indices "
       "0, 1, … in order, `content_block_start`, its deltas and `content_block_stop` (a delta or a stop only for the "
       "block open at that index), then `message_delta`, `message_stop`; `ping` anywhere after `message_start`.",
       ANTHROPIC_STREAMING, quote="Each stream uses the following event flow: message_start: contains a Message "
       "object with empty content. … Each content block has an index that corresponds to its index in the final "
       "Message content array.", **_both("MUST")),
    _r("MSG-STREAM-004", MESSAGES, "`message_delta` carries `delta.stop_reason` and `usage.output_tokens`.",
       ANTHROPIC_STREAMING, quote="One or more message_delta events, indicating top-level changes to the final "
       "Message object.", **_both("MUST")),
    _r("MSG-STREAM-005", MESSAGES, "Each `event:` line names the event's `data.type`.", ANTHROPIC_STREAMING,
       quote="Each server-sent event includes a named event type and associated JSON data.", **_both("MUST")),
    _r("MSG-STREAM-006", MESSAGES, "The stream has no OpenAI-style `[DONE]`: it ends with `message_stop`.",
       ANTHROPIC_STREAMING, quote="Each stream uses the following event flow: … A final message_stop event.",
       **_both("SHOULD")),
    _r("MSG-STREAM-007", MESSAGES, "The stream carries the text its usage counts: every text block's text "
       "(`content_block_start` text, then its `text_delta` pieces) joins to one string, and when `message_delta` "
       "reports `output_tokens` > 0 and no other kind of block (a tool call, thinking) was streamed, that text is not "
       "empty.", ANTHROPIC_STREAMING,
       quote="A series of content blocks, each of which have a content_block_start, one or more content_block_delta "
             "events, and a content_block_stop event.", **_both("MUST")),
    # Issue 24: the snapshot message_start carries, and the streamed tool_use and thinking blocks. Whatever a gateway
    # answers has the public wire format (MUST); a proper 4xx refusal of tools or thinking leaves these "not
    # supported" (MSG-013 and MSG-010 judge the refusal).
    _r("MSG-STREAM-008", MESSAGES, "`message_start` carries a snapshot of the message before any content: "
       "`content: []`, `stop_reason: null`, and `usage.input_tokens` above 0 and at least the `input_tokens` of the "
       "JSON answer to the same request (where the case has one).", ANTHROPIC_STREAMING,
       quote="Each stream uses the following event flow: message_start: contains a Message object with empty "
             "content.", **_both("MUST")),
    _r("MSG-STREAM-009", MESSAGES, "A stream whose last content block is a `tool_use` block ends with `message_delta` "
       "`stop_reason: \"tool_use\"` (\"max_tokens\" when the limit cut it; judged only then).", ANTHROPIC,
       quote="\"tool_use\": the model invoked one or more tools", **_both("MUST")),
    _r("MSG-STREAM-010", MESSAGES, "A streamed `tool_use` block opens with `input: {}`, and its input arrives as "
       "`input_json_delta` `partial_json` strings that join to one JSON object.", ANTHROPIC_STREAMING,
       quote="The deltas for tool_use content blocks correspond to updates for the input field of the block. To "
             "support maximum granularity, the deltas are partial JSON strings, whereas the final tool_use.input is "
             "always an object.", **_both("MUST")),
    _r("MSG-STREAM-011", MESSAGES, "With `thinking` accepted, the stream opens with a thinking block (or "
       "`redacted_thinking`), and each thinking block streams its text in `thinking_delta` events and a non-empty "
       "signature in a `signature_delta` just before its `content_block_stop`.", ANTHROPIC_STREAMING,
       quote="When using extended thinking with streaming enabled, you'll receive thinking content via thinking_delta "
             "events. … For thinking content, a special signature_delta event is sent just before the "
             "content_block_stop event.", **_both("MUST")),
    # Capabilities: probed, reported as supported / not supported / broken
    _r("CAP-001", CHAT, "Tools: a request with a forced function tool is accepted.",
       chat_page("Body: tools"), quote="Tool definitions in OpenAI-compatible format.", capability=True,
       **_both("MAY")),
    _r("CAP-002", RESPONSES, "Tools: a request with a forced function tool is accepted.",
       responses_page("注意事项"), quote="工具可用性取决于所选模型和上游服务商。", capability=True, **_both("MAY")),
    # The CRUN pages promise tools on /messages, json_object on chat and text.format on /responses without a
    # condition: the crun profile asks for them as MUSTs (MSG-013, CHAT-013, RESP-012), so only the openai profile
    # keeps these three as capabilities.
    _r("CAP-003", MESSAGES, "Tools: a request with a forced tool is accepted.", ANTHROPIC,
       quote="How the model should use the provided tools. The model can use a specific tool, any available tool, "
             "decide by itself, or not use tools at all.", capability=True, openai="MAY"),
    _r("CAP-004", CHAT, "Structured output: `response_format: json_object` is accepted.", OPENAI_CHAT,
       quote="Setting to { \"type\": \"json_object\" } enables the older JSON mode, which ensures the message the "
             "model generates is valid JSON. Using json_schema is preferred for models that support it.",
       capability=True, openai="MAY"),
    _r("CAP-005", CHAT, "Structured output: `response_format: json_schema` is accepted.",
       chat_page("Structured Output Example"), quote="For schema-enforced structured outputs, use a model and "
       "upstream provider that support json_schema.", capability=True, **_both("MAY")),
    _r("CAP-006", RESPONSES, "Structured output: `text.format: json_schema` is accepted.", OPENAI_STRUCTURED_OUTPUTS,
       quote="Structured Outputs is available in our latest large language models, starting with GPT-4o.",
       capability=True, openai="MAY"),
    _r("CAP-007", RESPONSES, "Image input: an `input_image` part (data URL) is accepted.", responses_page("图片输入"),
       quote="当所选模型支持视觉能力时,可以在 content 数组中使用 type: \"input_image\" 传入图片。图片可以是公开 URL、Base64 data URL。",
       capability=True, **_both("MAY")),
    _r("CAP-008", RESPONSES, "File input: an `input_file` part is accepted.", responses_page("文件输入"),
       quote="对于 PDF 和其他上游模型支持的已上传文件,请先上传文件,再作为 input_file content part 传入。", capability=True,
       **_both("MAY")),
    _r("CAP-009", RESPONSES, "Stored responses: `store: true` then `previous_response_id` is accepted.", responses_page("有状态追问"),
       quote="当上游模型支持存储响应时,可以设置 store=true,并在下一次请求中传入 previous_response_id,无需重新发送全部上下文。",
       capability=True, **_both("MAY")),
    # The official SDKs
    *(_r(rid, endpoint, statement, SDKS, quote="You can keep using the official OpenAI SDKs, Anthropic SDKs, or any "
         "client already compatible with OpenAI-style chat APIs, by only changing the base URL and API key.",
         **_both("MUST"))
      for rid, endpoint, statement in (
          ("SDK-001", CHAT, "The openai SDK parses a chat completion."),
          ("SDK-002", CHAT, "The openai SDK reads a chat stream to its end."),
          ("SDK-003", RESPONSES, "The openai SDK parses a response."),
          ("SDK-004", RESPONSES, "The openai SDK's Responses stream yields the final response."),
          ("SDK-005", MESSAGES, "The anthropic SDK parses a message."),
          ("SDK-006", MESSAGES, "The anthropic SDK's message stream yields the final message."),
          # Issue 24: the SDK reads the suite's own recorded streams (sdk.py), so these cost no request.
          ("SDK-009", MESSAGES, "The anthropic SDK's `messages.stream().get_final_message()`, reading a streamed "
           "tool call, holds the `tool_use` block (its id and name as streamed) with its input parsed into an "
           "object."),
          ("SDK-010", MESSAGES, "The anthropic SDK's `messages.stream().get_final_message()`, reading a stream with "
           "thinking, holds each thinking block with its text and its non-empty signature as streamed."),
          ("SDK-011", RESPONSES, "The openai SDK's `responses.stream` with a forced function tool yields a final "
           "response holding the `function_call` item, its arguments a JSON object (a proper 4xx refusal of tools: "
           "not supported)."),
      )),
    # Issue 24: the openai SDK's chat stream helper on streamed tool calls
    *(_r(rid, CHAT, statement, SDKS, quote=SDK_DROP_IN, **_both("MUST")) for rid, statement in (
        ("SDK-007", "The openai SDK's chat stream helper (`chat.completions.stream`) reads a stream of tool calls to "
                    "its final completion."),
        ("SDK-008", "That final completion's tool calls each name a tool offered, with arguments that parse to a JSON "
                    "object."),
    )),
)

# The happy path a real client walks, as the seed pages show it (issue 11): conversations, documented parameters
# with valid values, the model id echoed, capabilities promised without a condition, and only what the pages promise.
PROMISE_REQUIREMENTS: tuple[Requirement, ...] = (
    _r("MODELS-003", GENERATING, "The `model` of every answer (the JSON body, every stream event that names one) is "
       "the public model id the request asked for, not an upstream or dated name.", responses_page("响应: model"),
       quote="客户端请求的公开模型 ID。", crun="MUST"),
    _r("CHAT-006", CHAT, "A conversation with a `system` turn and earlier `user`/`assistant` turns is accepted, "
       "answered and carried: its `prompt_tokens` exceed those of its last question alone by half the words before it.",
       overview("Managing Conversation History"),
       quote="your application must keep the relevant message history and send it again in each new "
             "/chat/completions request.", **_both("MUST")),
    _r("CHAT-014", CHAT, "No conversation state is kept: a question asked again after a code word was planted in a "
       "request of its own reads the same `prompt_tokens` as when it was asked first, and its answer does not hold the "
       "code word.", overview("Managing Conversation History"),
       quote="CRUN does not store or manage conversation state for you.", **_both("MUST")),
    _r("CHAT-007", CHAT, "The tool round trip: an assistant `tool_calls` turn followed by a `role: \"tool\"` message "
       "with its `tool_call_id` is accepted and answered.", chat_page("Tool Calling Example"),
       quote="Your application is responsible for executing tool calls and sending tool results back in a "
             "follow-up request.", **_both("MUST")),
    _r("CHAT-008", CHAT, "`max_completion_tokens: 5` caps like `max_tokens`: `completion_tokens` <= 5; an answer "
       "that reached it ends with `finish_reason: \"length\"` (judged only then).", overview("Notes"),
       quote="max_tokens and max_completion_tokens are both supported.",
       crun="MUST", openai="SHOULD"),
    _r("CHAT-009", CHAT, "A `max_completion_tokens` far above any model's output limit is capped, not refused.",
       chat_page("Notes"), quote="max_tokens and max_completion_tokens are both accepted and are capped by the "
       "selected model’s output token limit.", crun="MUST"),
    _r("CHAT-010", CHAT, "A stop sequence (a string, or a list of up to 4) ends the text before it: asked to repeat "
       "a line holding one, no choice's text contains it, and a text that stops at it ends with `finish_reason: "
       "\"stop\"`.", chat_page("Body: stop"), quote="Stop sequence or list of stop sequences.", **_both("MUST")),
    _r("CHAT-011", CHAT, "`logprobs: true` with `top_logprobs: 2` returns each choice's `logprobs.content`: a token, "
       "its logprob and up to 2 `top_logprobs` per entry.", crazyrouter("请求参数: logprobs"), quote="是否返回 logprobs",
       openai="MUST"),
    _r("CHAT-012", CHAT, "A request with function `tools` and a `tool_choice` is accepted (2xx), whatever the model "
       "does with them.", chat_page("Tool Calling Example"),
       quote="Chat Completions accepts OpenAI-compatible tools and tool_choice fields.", crun="MUST"),
    _r("CHAT-013", CHAT, "A request with `response_format: {\"type\": \"json_object\"}` is accepted (2xx).",
       chat_page("Structured Output Example"), quote="Use response_format when you need the model to return JSON.",
       crun="MUST"),
    _r("COMP-004", COMPLETIONS, "`stream: true` is answered with a 4xx error or a JSON text completion that ignores "
       "it, never with an event stream.", quickstart("注意事项"), quote="旧版 /completions 接口仅为兼容而提供,不支持 stream=true",
       crun="MUST"),
    _r("PARAM-010", CHAT, "The documented optional parameters with valid values are accepted: `temperature`, `top_p`, "
       "`presence_penalty`, `frequency_penalty`, `stop` (a string, a list of 4), `seed`, `user`, `logprobs` with "
       "`top_logprobs`, `max_completion_tokens`.", chat_page("Body"),
       quote="OpenAI-compatible Chat Completions request. Additional compatible fields are accepted and passed "
             "through when supported by the upstream model.", **_both("MUST")),
    _r("PARAM-011", (CHAT, RESPONSES), "An OpenAI-compatible field the CRUN pages do not document (`service_tier` on "
       "chat, `max_tool_calls` on `/responses`) is accepted, not refused.", overview("Notes"),
       quote="Additional OpenAI-compatible fields are accepted and passed through when supported by the upstream "
             "model.", crun="MUST"),
    _r("PARAM-012", RESPONSES, "The documented optional parameters with valid values are accepted: `instructions`, "
       "`metadata`, `temperature`, `top_p`, `user`, `text.format: json_object`.", responses_page("请求体"),
       quote="OpenAI 兼容 Responses 请求。其他兼容字段会被接受,并在上游模型支持时透传。", crun="MUST", openai="SHOULD"),
    # The page documents these "上游服务支持时" (when the upstream supports it), reasoning for reasoning models: a
    # capability, like `prompt_cache_retention`, which the suite does not send.
    _r("PARAM-013", RESPONSES, "The upstream-dependent optional parameters (`parallel_tool_calls`, `truncation`, "
       "`prompt_cache_key`, `reasoning.effort`) are accepted, or declined with a proper 4xx (not supported); never "
       "a 5xx.", responses_page("请求体: prompt_cache_key, reasoning, parallel_tool_calls, truncation"),
       quote="上游服务支持时传入的提示词缓存键。 … 推理模型配置。 … 上游服务支持时,是否允许并行工具调用。 … "
             "上游服务支持时的上下文截断策略。",
       capability=True, **_both("MAY")),
    _r("RESP-010", RESPONSES, "`input` as a list of message-like items, with a `system` item, is accepted, answered "
       "and carried: its `input_tokens` exceed those of its question alone by half the system item's words.",
       responses_page("Message 风格输入"),
       quote="input 也可以传入 message-like items 列表,便于从 Chat Completions 迁移。",
       **_both("MUST")),
    _r("RESP-011", RESPONSES, "A `max_output_tokens` far above any model's output limit is capped, not refused.",
       responses_page("注意事项"), quote="max_output_tokens 会受所选模型的输出 token 上限约束。", crun="MUST"),
    _r("RESP-012", RESPONSES, "A request with `text.format` (a JSON schema) is accepted (2xx), whatever the model "
       "produces.", responses_page("何时使用 Responses"), quote="希望通过 text.format 获取结构化输出。", crun="MUST"),
    _r("RESP-013", RESPONSES, "A request with function `tools` and a `tool_choice` is accepted (2xx), whatever the "
       "model does with them.", responses_page("工具就绪请求"),
       quote="CRUN 会接受兼容的 tools … tool_choice 字段,并在所选上游模型支持时透传。",
       crun="MUST"),
    _r("RESP-014", RESPONSES, "A request without `input` never gets a 5xx (only `model` is marked required).",
       responses_page("请求体: model, input"), quote="model string 必填 … input 模型输入。可以是字符串,也可以是 response input items 列表",
       **_both("MUST")),
    _r("RESP-015", RESPONSES, "A request without `input`, when refused (judged only then: only `model` is marked "
       "required, so serving it is allowed), gets a 400 OpenAI error whose `error.param` is `input`.",
       OPENAI_BAD_REQUEST, quote="Your request was malformed or missing some required parameters, such as a token or "
       "an input. … The error message should advise you on the specific error made.", **_both("SHOULD")),
    _r("MSG-010", MESSAGES, "`/messages` accepts a `system` prompt and `thinking` with valid values (2xx), and "
       "carries the `system` prompt: `input_tokens` exceed those of the same messages without it.",
       overview("Messages API (related resources)"),
       quote="Use Anthropic-compatible messages, system prompts, tools, thinking, and streaming events.", crun="MUST",
       openai="SHOULD"),
    _r("RESP-016", RESPONSES, "`instructions` are carried to the model: `input_tokens` exceed those of the same "
       "input without them by half their words.", responses_page("请求体: instructions"),
       quote="发送给模型的系统或开发者指令。", **_both("MUST")),
    _r("RESP-017", RESPONSES, "A response's `created_at` is a Unix timestamp in seconds: within a day of the answer's "
       "own `Date` header (without one, a plausible date in seconds, not milliseconds).",
       responses_page("响应: created_at"), quote="Unix 秒级时间戳。", **_both("MUST")),
    _r("RESP-018", RESPONSES, "A built-in tool is passed through: a `file_search` tool naming a vector store that does "
       "not exist is never answered with a 5xx, nor refused for its tool type; a 4xx about the vector store (the "
       "upstream's own) or a 2xx is fine. Judged by the status and the error body, never by the model's text.",
       responses_page("工具就绪请求"), quote="OpenAI Responses API 支持内置工具和函数式工具。CRUN 会接受兼容的 tools … tool_choice "
       "字段,并在所选上游模型支持时透传。", crun="MUST"),
    # Function calls and reasoning, in JSON (issue 24)
    _r("RESP-019", RESPONSES, "A `function_call` output item carries an `id`, a `call_id`, a `name`, `arguments` as a "
       "string holding a JSON object, and a `status` (`\"completed\"` in a completed response): in JSON answers and in "
       "a stream's final response.", OPENAI_RESPONSES,
       quote="arguments … A JSON string of the arguments to pass to the function. … status … The status of the item. "
             "One of in_progress, completed, or incomplete. Populated when items are returned via API.",
       **_both("MUST")),
    _r("RESP-020", RESPONSES, "The function call round trip: a follow-up whose `input` holds the answer's output items "
       "as they came (the `function_call` item, and any reasoning item) and a `function_call_output` for its "
       "`call_id` is accepted, answered, and carried: its `input_tokens` exceed the first request's by half the "
       "output's words.", responses_page("何时使用 Responses"),
       quote="希望使用工具就绪的 response items,以及 tools / tool_choice 字段。", **_both("MUST")),
    _r("RESP-021", RESPONSES, "An answer to a request with `reasoning: {\"effort\": …}` reports "
       "`usage.output_tokens_details.reasoning_tokens` as an integer >= 0, in JSON and in a stream's final response "
       "(reasoning declined or broken: PARAM-013 judges that).", OPENAI_RESPONSES,
       quote="output_tokens_details … A detailed breakdown of the output tokens. … reasoning_tokens … The number of "
             "reasoning tokens.", **_both("MUST")),
    _r("RESP-022", RESPONSES, "Reasoning items, where present, are well formed: `type: \"reasoning\"`, an `id`, a "
       "`summary` list of `summary_text` parts with `text`, `content` (if any) a list of `reasoning_text` parts with "
       "`text`, `encrypted_content` (if any) a string: in JSON answers and in streams (their output items and final "
       "response).", OPENAI_RESPONSES,
       quote="id … The unique identifier of the reasoning content. … summary … Reasoning summary content.",
       **_both("MUST")),
    # One model, three formats (issue 24): the forced tool call the capability probes send, held to the same rules on
    # chat, /responses and /messages; that it names the tool with arguments that parse is CAP-101..103's.
    _r("TOOLS-001", (CHAT, RESPONSES, MESSAGES), "A forced tool call ends with its format's stop signal: chat "
       "`finish_reason: \"tool_calls\"` (or `\"stop\"`, OpenAI's own for a named function), a `function_call` item "
       "and response `status: \"completed\"` on `/responses`, `stop_reason: \"tool_use\"` on `/messages` (no call "
       "came: not judged, CAP-101..103 judge that).", OPENAI_CHAT_OBJECT,
       quote="The reason the model stopped generating tokens. This will be stop if the model hit a natural stopping "
             "point or a provided stop sequence, length if the maximum number of tokens specified in the request was "
             "reached, content_filter if content was omitted due to a flag from our content filters, tool_calls if "
             "the model called a tool", **_both("MUST")),
    _r("TOOLS-002", (CHAT, RESPONSES, MESSAGES), "An answer to a forced tool call reports its usage in its format: "
       "integer input and output token counts (`prompt_tokens`/`completion_tokens` on chat, "
       "`input_tokens`/`output_tokens` on `/responses` and `/messages`), the output count at least 1.",
       OPENAI_CHAT_OBJECT, quote="Usage statistics for the completion request.", **_both("MUST")),
    _r("MSG-011", MESSAGES, "`max_tokens: 5` against a passage to repeat caps the answer: `usage.output_tokens` <= 5, "
       "in JSON and in streams; an answer that reached it ends with `stop_reason: \"max_tokens\"` (judged only "
       "then).", ANTHROPIC, quote="Note that our models may stop before reaching this maximum. This parameter only "
       "specifies the absolute maximum number of tokens to generate.", **_both("MUST")),
    _r("MSG-012", MESSAGES, "`stop_sequences`: asked to repeat a line holding one, the text does not contain it, and "
       "a text that stops at it has `stop_reason: \"stop_sequence\"` and `stop_sequence` naming it.", ANTHROPIC,
       quote="If the model encounters one of the custom sequences, the response stop_reason value will be "
             "\"stop_sequence\" and the response stop_sequence value will contain the matched stop sequence.",
       **_both("MUST")),
    _r("MSG-013", MESSAGES, "A request with `tools` and a `tool_choice` is accepted (2xx), whatever the model does "
       "with them.", overview("Messages API (related resources)"),
       quote="Use Anthropic-compatible messages, system prompts, tools, thinking, and streaming events.", crun="MUST"),
    # Issue 24: tool_use and thinking in JSON answers, the tool round trip and the thinking sent back. The format rules
    # hold for whatever is answered (MUST); a proper 4xx refusal of tools or thinking leaves them "not supported"
    # (MSG-013 and MSG-010 judge the refusal). The round trip is the tools promise of seed 002 (as MSG-013): crun's.
    _r("MSG-014", MESSAGES, "A message whose last content block is a `tool_use` block has `stop_reason: "
       "\"tool_use\"` (\"max_tokens\" when the limit cut it; judged only then).", ANTHROPIC,
       quote="\"tool_use\": the model invoked one or more tools", **_both("MUST")),
    _r("MSG-015", MESSAGES, "The tool round trip: an assistant turn with a `tool_use` block, then a user turn with the "
       "`tool_result` for its id, is accepted (2xx) and answered with a message.", ANTHROPIC,
       quote="You can then run those tools using the tool input generated by the model and then optionally return "
             "results back to the model using tool_result content blocks.", crun="MUST"),
    _r("MSG-016", MESSAGES, "With `thinking` accepted, the message's content opens with thinking blocks (or "
       "`redacted_thinking`) before the answer, and every thinking block carries a non-empty `signature`.",
       ANTHROPIC, quote="When enabled, responses include thinking content blocks showing Claude's thinking process "
       "before the final answer. … A value used to verify that this thinking block was generated by Claude when it "
       "is passed back to the API.", **_both("MUST")),
    _r("MSG-017", MESSAGES, "A second turn that sends the assistant's streamed content back unchanged, thinking blocks "
       "and signatures included, with a new user turn, is accepted (2xx) and answered with a message.", ANTHROPIC,
       quote="When passing thinking blocks back to the API (required when using tools with extended thinking), pass "
             "them back exactly as received, with this field intact.", **_both("MUST")),
    _r("CAP-010", CHAT, "Image input on chat: an `image_url` content part (data URL) in a user message is accepted.",
       chat_page("Vision Input Example"),
       quote="When the selected model supports image input, pass multimodal content parts in the user message.",
       capability=True, **_both("MAY")),
    _r("CAP-011", RESPONSES, "File input by URL: an `input_file` part with a `file_url` is accepted.",
       responses_page("注意事项"), quote="文件输入使用带有上传 file_url … input_file content parts。", capability=True,
       **_both("MAY")),
)

# Accepted means honoured (issue 22): each capability above, when a server answers it 2xx, must have been done, by
# evidence the server produces (a forced tool, a JSON mode, input tokens); CAP-1NN honours CAP-0NN. A silent ignore
# fails a MUST; a proper 4xx refusal stays "not supported".
OPENAI_RESPONSES_CREATE = Source("OpenAI API reference: Create a model response",
                                 "https://platform.openai.com/docs/api-reference/responses/create")
HONOURED_REQUIREMENTS: tuple[Requirement, ...] = (
    _r("CAP-101", CHAT, "If a forced function tool is accepted, it is called: `tool_calls` names it, with arguments "
       "that parse and match its parameters.", OPENAI_CHAT, quote="Specifying a particular tool via {\"type\": "
       "\"function\", \"function\": {\"name\": \"my_function\"}} forces the model to call that tool.",
       **_both("MUST")),
    _r("CAP-102", RESPONSES, "If a forced function tool is accepted, it is called: a `function_call` output item names "
       "it, with arguments that parse and match its parameters.", OPENAI_RESPONSES_CREATE,
       quote="Use this option to force the model to call a specific function.", **_both("MUST")),
    _r("CAP-103", MESSAGES, "If a forced tool is accepted, it is used: a `tool_use` block names it, with an `input` "
       "matching its schema.", ANTHROPIC, quote="The model will use the specified tool with tool_choice.name.",
       **_both("MUST")),
    _r("CAP-104", CHAT, "If `response_format: json_object` is accepted, the content is a JSON object (unless cut at "
       "`max_tokens`: not judged).", OPENAI_CHAT, quote="Setting to { \"type\": \"json_object\" } enables the older "
       "JSON mode, which ensures the message the model generates is valid JSON.", **_both("MUST")),
    _r("CAP-105", CHAT, "If `response_format: json_schema` is accepted, the content is JSON matching the schema (unless "
       "cut at `max_tokens`: not judged).", OPENAI_CHAT, quote="Setting to { \"type\": \"json_schema\", "
       "\"json_schema\": {...} } enables Structured Outputs which ensures the model will match your supplied JSON "
       "schema.", **_both("MUST")),
    _r("CAP-106", RESPONSES, "If `text.format: json_schema` is accepted, the output text is JSON matching the schema "
       "(unless cut at `max_output_tokens`: not judged).", OPENAI_RESPONSES_CREATE,
       quote="Configuring { \"type\": \"json_schema\" } enables Structured Outputs, which ensures the model will "
             "match your supplied JSON schema.", **_both("MUST")),
    _r("CAP-107", RESPONSES, "If an `input_image` part is accepted, it reaches the model: `input_tokens` exceed those "
       "of the same text alone.", responses_page("图片输入"),
       quote="当所选模型支持视觉能力时,可以在 content 数组中使用 type: \"input_image\" 传入图片。", **_both("MUST")),
    _r("CAP-108", RESPONSES, "If an `input_file` part is accepted, it reaches the model: `input_tokens` exceed those of "
       "the same text alone.", responses_page("文件输入"),
       quote="对于 PDF 和其他上游模型支持的已上传文件,请先上传文件,再作为 input_file content part 传入。", **_both("MUST")),
    _r("CAP-109", RESPONSES, "If `previous_response_id` is accepted, the stored response is carried: the same question "
       "asked again with it has `input_tokens` above the first request's by half the words of that question and "
       "its reply.", responses_page("有状态追问"),
       quote="当上游模型支持存储响应时,可以设置 store=true,并在下一次请求中传入 previous_response_id,无需重新发送全部上下文。",
       **_both("MUST")),
    _r("CAP-110", CHAT, "If an `image_url` content part is accepted, it reaches the model: `prompt_tokens` exceed "
       "those of the same text alone.", chat_page("Vision Input Example"),
       quote="When the selected model supports image input, pass multimodal content parts in the user message.",
       **_both("MUST")),
    _r("CAP-111", RESPONSES, "If an `input_file` part with a `file_url` is accepted, it reaches the model: "
       "`input_tokens` exceed those of the same text alone.", responses_page("注意事项"),
       quote="文件输入使用带有上传 file_url … input_file content parts。", **_both("MUST")),
)

FUZZ_REQUIREMENTS: tuple[Requirement, ...] = (
    # Fuzzing: schemathesis generates requests from the contract and judges the answers (certify --fuzz)
    _r("FUZZ-001", ALL, "Every generated request, valid or not, gets an answer, and never a 5xx status.",
       RFC_9110, quote="The 5xx (Server Error) class of status code indicates that the server is aware that it has "
       "erred or is incapable of performing the requested method.", crun="MUST", openai="MUST"),
    _r("FUZZ-002", ALL, "Every status code answered to a generated request is documented for the operation.",
       OPENAPI_31, quote="A container for the expected responses of an operation.", crun="SHOULD", openai="SHOULD"),
    _r("FUZZ-003", ALL, "Every response to a generated request has a Content-Type documented for its status.",
       OPENAPI_31, quote="A container for the expected responses of an operation.", crun="MUST", openai="MUST"),
    _r("FUZZ-004", ALL, "Every response body, and every event of every stream, matches the contract's schema.",
       CONTRACT, quote="what the suite relies on is strict (constants, required fields, token counts).",
       crun="MUST", openai="MUST"),
    _r("FUZZ-005", ALL, "A request that breaks the request schema is refused with a 4xx status.",
       RFC_9110, quote="The 4xx (Client Error) class of status code indicates that the client seems to have erred.",
       crun="SHOULD", openai="SHOULD"),
    _r("FUZZ-006", ALL, "Auth is enforced under both schemes: no key, a wrong bearer token or a wrong X-API-KEY "
       "is refused with 401 or 403.", RFC_9110, quote="The 401 (Unauthorized) status code indicates that the request "
       "has not been applied because it lacks valid authentication credentials for the target resource.",
       crun="MUST", openai="MUST"),
    _r("FUZZ-007", ALL, "A method the contract does not declare on a path is refused with 405 and an Allow header.",
       RFC_9110, quote="The origin server MUST generate an Allow header field in a 405 response containing a list of "
       "the target resource's currently supported methods.", crun="SHOULD", openai="SHOULD"),
)

# The catalogue, in the order reports list it: built once, never extended afterwards.
CATALOGUE: tuple[Requirement, ...] = SUITE_REQUIREMENTS + PROMISE_REQUIREMENTS + HONOURED_REQUIREMENTS + FUZZ_REQUIREMENTS
BY_ID: dict[str, Requirement] = {r.id: r for r in CATALOGUE}

# Requirement ids renamed between tool versions, old id -> new id: the catalogue's own history, kept beside it.
# Diffs and baselines (conformance/reports/diff.py, baseline.py) read old reports and expectation files through it.
# Add a line when an id changes.
RENAMED: dict[str, str] = {}


def get(requirement_id: str) -> Requirement:
    try:
        return BY_ID[requirement_id]
    except KeyError:
        raise KeyError(f"no requirement {requirement_id!r} in the catalogue") from None


def expand_ids(names) -> frozenset[str]:
    """Requirement ids, where `CHAT-001..005` spans a range; an id the catalogue does not hold is refused."""
    out = set()
    for name in names:
        head, _, last = name.partition("..")
        if last:
            prefix, _, first = head.rpartition("-")
            out.update(f"{prefix}-{n:03d}" for n in range(int(first), int(last) + 1))
        else:
            out.add(name)
    for rid in out:
        get(rid)
    return frozenset(out)


def for_profile(profile: str) -> list[Requirement]:
    """The requirements a profile asks for, in catalogue order."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return [r for r in CATALOGUE if r.level(profile)]

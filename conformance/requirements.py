"""The requirement catalogue: every promise the suite judges, in one place.

Each requirement has an ID, a level per profile (BCP 14: MUST, SHOULD, MAY;
absent means the profile does not ask for it), the endpoints it is checked on,
a one-line statement and its source. Checks refer to requirements by ID; the
report is built from this table; a requirement no check names is a defect
(tests/test_catalogue.py holds both directions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROFILES = ("crun", "openai")
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


CRUN_OVERVIEW = Source("CRUN LLM overview (seeds/002), also the quickstart (seeds/000)")
CRUN_CHAT = Source("CRUN Chat Completions reference (seeds/003)")
CRUN_RESPONSES = Source("CRUN Responses reference (seeds/001)")
CRAZYROUTER = Source("Crazyrouter chat completions reference (seeds/004)")
OPENAI_CHAT = Source("OpenAI API reference: Chat Completions and its streaming chunk object",
                     "https://platform.openai.com/docs/api-reference/chat")
OPENAI_COMPLETIONS = Source("OpenAI API reference: Completions (legacy)",
                            "https://platform.openai.com/docs/api-reference/completions")
OPENAI_RESPONSES = Source("OpenAI API reference: Responses and its streaming events",
                          "https://platform.openai.com/docs/api-reference/responses")
OPENAI_ERRORS = Source("OpenAI API reference: error codes and the error object",
                       "https://platform.openai.com/docs/guides/error-codes")
ANTHROPIC = Source("Anthropic API reference: Messages, streaming messages and errors",
                   "https://docs.anthropic.com/en/api/messages")
ANTHROPIC_ERRORS = Source("Anthropic API reference: errors", "https://docs.anthropic.com/en/api/errors",
                          "HTTP errors")
OPENAI_RESPONSE_OBJECT = Source("OpenAI API reference: the response object",
                                "https://platform.openai.com/docs/api-reference/responses/object", "incomplete_details")
OPENAI_RESPONSE_INCOMPLETE = Source("OpenAI API reference: Responses streaming events",
                                    "https://platform.openai.com/docs/api-reference/responses-streaming/response/incomplete",
                                    "response.incomplete")
CONTRACT = Source("The wire contract, openapi/crun.yaml, as schemathesis judges it")
SDKS = Source("CRUN LLM overview (seeds/002)", section="Overview")


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


CATALOGUE: tuple[Requirement, ...] = (
    # Authentication
    _r("AUTH-001", ALL, "A request with `Authorization: Bearer KEY` is accepted.", CRUN_OVERVIEW, **_both("MUST")),
    _r("AUTH-002", ALL, "A request with `X-API-KEY: KEY` is accepted.", CRUN_OVERVIEW, crun="MUST"),
    _r("AUTH-003", ALL, "A request without a key is refused with 401 and an error body in the endpoint's error format.",
       CRUN_OVERVIEW, **_both("MUST")),
    _r("AUTH-004", ALL, "A request with a wrong key is refused with 401.", CRUN_OVERVIEW, **_both("MUST")),
    _r("AUTH-005", ALL, "No response body ever contains the API key sent, right or wrong.", CRUN_OVERVIEW,
       **_both("MUST")),
    # Models
    _r("MODELS-001", MODELS, "`GET /models` answers 200 with `object: \"list\"` and items carrying `id`, "
       "`object: \"model\"`, `created` and `owned_by`.", CRUN_OVERVIEW, **_both("MUST")),
    _r("MODELS-002", MODELS, "Every model the suite uses is listed by `GET /models`.", CRUN_OVERVIEW, **_both("MUST")),
    # Chat completions, non-streaming
    _r("CHAT-001", CHAT, "A chat completion is a `chat.completion` object with an assistant message and a "
       "`finish_reason` per choice.", OPENAI_CHAT, **_both("MUST")),
    _r("CHAT-002", CHAT, "`n: 2` gives two choices, indexed 0 and 1.", CRUN_CHAT, crun="MUST", openai="SHOULD"),
    _r("CHAT-003", CHAT, "`max_tokens: 1` stops with `finish_reason: \"length\"` and `completion_tokens` <= 1.",
       CRAZYROUTER, **_both("MUST")),
    _r("CHAT-004", CHAT, "Usage numbers are integers and `total_tokens` = `prompt_tokens` + `completion_tokens`.",
       OPENAI_CHAT, **_both("MUST")),
    _r("CHAT-005", CHAT, "A `max_tokens` far above any model's output limit is capped, not refused.", CRUN_OVERVIEW,
       crun="MUST"),
    # Chat completions, streaming chunk shape
    _r("CHAT-STREAM-001", CHAT, "`stream: true` is answered with `Content-Type: text/event-stream`.", CRUN_CHAT,
       **_both("MUST")),
    _r("CHAT-STREAM-002", CHAT, "Every event's data is a JSON chunk or the literal `[DONE]`.", OPENAI_CHAT,
       **_both("MUST")),
    _r("CHAT-STREAM-003", CHAT, "The stream ends with `data: [DONE]` and nothing follows it.", CRUN_OVERVIEW,
       **_both("MUST")),
    _r("CHAT-STREAM-004", CHAT, "Every chunk is a valid `chat.completion.chunk` object.", OPENAI_CHAT, **_both("MUST")),
    _r("CHAT-STREAM-005", CHAT, "Each choice gets exactly one non-null `finish_reason` across the stream.", OPENAI_CHAT,
       **_both("MUST")),
    _r("CHAT-STREAM-006", CHAT, "The first delta of each choice carries `role: \"assistant\"`.", OPENAI_CHAT,
       **_both("SHOULD")),
    _r("CHAT-STREAM-007", CHAT, "All chunks share one non-empty `id`.", OPENAI_CHAT, **_both("SHOULD")),
    # Usage inclusion in streams
    _r("USAGE-001", CHAT, "With `stream_options.include_usage` omitted, usage arrives in the stream before `[DONE]`.",
       CRUN_OVERVIEW, crun="MUST"),
    _r("USAGE-002", CHAT, "With `stream_options.include_usage: true`, usage arrives in the stream before `[DONE]`.",
       CRAZYROUTER, **_both("MUST")),
    _r("USAGE-003", CHAT, "Usage in a stream is consistent: integers, `total_tokens` = prompt + completion, "
       "reported once.", OPENAI_CHAT, **_both("MUST")),
    _r("USAGE-004", CHAT, "The usage chunk is a usage-only chunk with `choices: []`.", CRAZYROUTER, openai="SHOULD"),
    # Errors: unknown models
    _r("ERR-001", GENERATING, "An unknown model is refused with a 4xx status.", CRUN_CHAT, **_both("MUST")),
    _r("ERR-002", GENERATING, "An unknown model is refused with 404.", OPENAI_ERRORS, **_both("SHOULD")),
    _r("ERR-003", (CHAT, COMPLETIONS, RESPONSES), "An unknown model's error has `error.code: \"model_not_found\"`.",
       CRUN_CHAT, crun="MUST", openai="SHOULD"),
    _r("ERR-004", (CHAT, RESPONSES, MESSAGES), "An unknown model with `stream: true` gets a JSON error, never a "
       "200 event stream.", CRUN_CHAT, **_both("MUST")),
    _r("ERR-005", GENERATING, "Error bodies use the endpoint's format: the OpenAI error object, or the Anthropic "
       "error on `/messages`.", CRUN_CHAT, **_both("MUST")),
    # Legacy completions
    _r("COMP-001", COMPLETIONS, "A text completion is a `text_completion` object with choices carrying `text`.",
       OPENAI_COMPLETIONS, **_both("MUST")),
    _r("COMP-002", COMPLETIONS, "`stream: true` is refused with a 4xx OpenAI error, not an event stream.",
       CRUN_OVERVIEW, crun="MUST"),
    _r("COMP-003", COMPLETIONS, "`stream: true` never causes a 5xx.", CRUN_OVERVIEW, **_both("MUST")),
    # Parameter validation
    _r("PARAM-001", (CHAT, COMPLETIONS, RESPONSES, MESSAGES), "Out-of-range, missing or malformed parameters get a "
       "4xx, never a 5xx.", CRUN_CHAT, **_both("MUST")),
    _r("PARAM-002", (CHAT, COMPLETIONS, RESPONSES), "Such a refusal carries an OpenAI error body.", OPENAI_ERRORS,
       **_both("MUST")),
    _r("PARAM-003", (CHAT, COMPLETIONS, RESPONSES), "Such a refusal is a 400 whose `error.param` names the field.",
       OPENAI_ERRORS, **_both("SHOULD")),
    # Responses
    _r("RESP-001", RESPONSES, "A response is an `object: \"response\"` with `status`, an output message of "
       "`output_text` parts, and usage named `input_tokens`/`output_tokens`/`total_tokens`.", CRUN_RESPONSES,
       **_both("MUST")),
    _r("RESP-002", RESPONSES, "A response carries the top-level convenience `output_text`, equal to its text parts.",
       CRUN_RESPONSES, crun="SHOULD"),
    _r("RESP-003", RESPONSES, "Response usage adds up: `total_tokens` = `input_tokens` + `output_tokens`.",
       OPENAI_RESPONSES, **_both("MUST")),
    _r("RESP-004", RESPONSES, "`max_output_tokens` is respected: `output_tokens` <= the limit.", CRUN_RESPONSES,
       **_both("MUST")),
    # Responses cut by max_output_tokens say so (issue 10)
    _r("RESP-005", RESPONSES, "An answer cut by `max_output_tokens` is `status: \"incomplete\"` with "
       "`incomplete_details.reason: \"max_output_tokens\"`.", OPENAI_RESPONSE_OBJECT, **_both("MUST"),
       quote="Details about why the response is incomplete."),
    _r("RESP-STREAM-001", RESPONSES, "`stream: true` is answered with `Content-Type: text/event-stream`.",
       CRUN_RESPONSES, **_both("MUST")),
    _r("RESP-STREAM-002", RESPONSES, "Every event is a JSON Responses event with `type` and `sequence_number`.",
       OPENAI_RESPONSES, **_both("MUST")),
    _r("RESP-STREAM-003", RESPONSES, "The first event is `response.created`.", OPENAI_RESPONSES, **_both("MUST")),
    _r("RESP-STREAM-004", RESPONSES, "The last event, and only that one, is `response.completed`, "
       "`response.incomplete` or `response.failed`.", OPENAI_RESPONSES, **_both("MUST")),
    _r("RESP-STREAM-005", RESPONSES, "`sequence_number` strictly increases.", OPENAI_RESPONSES, **_both("MUST")),
    _r("RESP-STREAM-006", RESPONSES, "Each `event:` line names the event's `data.type`.", CRUN_RESPONSES,
       **_both("SHOULD")),
    _r("RESP-STREAM-007", RESPONSES, "The text deltas concatenate to the `output_text.done` text and the final "
       "response's text.", OPENAI_RESPONSES, **_both("MUST")),
    # A streamed answer cut by max_output_tokens ends as incomplete (issue 10)
    _r("RESP-STREAM-008", RESPONSES, "A stream cut by `max_output_tokens` ends with `response.incomplete`, its "
       "response `status: \"incomplete\"` with `incomplete_details.reason: \"max_output_tokens\"`.",
       OPENAI_RESPONSE_INCOMPLETE, **_both("MUST"), quote="An event that is emitted when a response finishes as incomplete."),
    # Messages
    _r("MSG-001", MESSAGES, "A message is `type: \"message\"`, `role: \"assistant\"`, with content blocks, a "
       "documented `stop_reason` and usage `input_tokens`/`output_tokens`.", ANTHROPIC, **_both("MUST")),
    _r("MSG-002", MESSAGES, "A request without `max_tokens` is refused with 400 and an Anthropic error body.",
       ANTHROPIC, **_both("MUST")),
    # Bad parameters on /messages, in Anthropic's error shape (issue 10)
    _r("MSG-003", MESSAGES, "A request without `messages`, with `temperature` outside 0..1, with `max_tokens: 0`, or "
       "not JSON is refused with 400 and an Anthropic `invalid_request_error` body.", ANTHROPIC_ERRORS,
       **_both("MUST"), quote="400 - invalid_request_error: There was an issue with the format or content of your request."),
    _r("MSG-STREAM-001", MESSAGES, "`stream: true` is answered with `Content-Type: text/event-stream`.", ANTHROPIC,
       **_both("MUST")),
    _r("MSG-STREAM-002", MESSAGES, "Every event is a valid Anthropic stream event.", ANTHROPIC, **_both("MUST")),
    _r("MSG-STREAM-003", MESSAGES, "Events come in order: `message_start`, then (`content_block_start`, deltas, "
       "`content_block_stop`)*, `message_delta`, `message_stop`; `ping` anywhere after `message_start`.", ANTHROPIC,
       **_both("MUST")),
    _r("MSG-STREAM-004", MESSAGES, "`message_delta` carries `delta.stop_reason` and `usage.output_tokens`.", ANTHROPIC,
       **_both("MUST")),
    _r("MSG-STREAM-005", MESSAGES, "Each `event:` line names the event's `data.type`.", ANTHROPIC, **_both("MUST")),
    _r("MSG-STREAM-006", MESSAGES, "The stream has no OpenAI-style `[DONE]`.", ANTHROPIC, **_both("SHOULD")),
    # Capabilities: probed, reported as supported / not supported / broken
    _r("CAP-001", CHAT, "Tools: a forced function tool yields `tool_calls` with JSON arguments.", CRUN_CHAT,
       capability=True, **_both("MAY")),
    _r("CAP-002", RESPONSES, "Tools: a forced function tool yields a `function_call` output item.", CRUN_RESPONSES,
       capability=True, **_both("MAY")),
    _r("CAP-003", MESSAGES, "Tools: a forced tool yields a `tool_use` block with an `input` object.", ANTHROPIC,
       capability=True, **_both("MAY")),
    _r("CAP-004", CHAT, "Structured output: `response_format: json_object` yields JSON content.", CRUN_CHAT,
       capability=True, **_both("MAY")),
    _r("CAP-005", CHAT, "Structured output: `response_format: json_schema` yields JSON matching the schema.",
       CRUN_CHAT, capability=True, **_both("MAY")),
    _r("CAP-006", RESPONSES, "Structured output: `text.format: json_schema` yields JSON matching the schema.",
       CRUN_RESPONSES, capability=True, **_both("MAY")),
    _r("CAP-007", RESPONSES, "Image input: an `input_image` part (data URL) is accepted.", CRUN_RESPONSES,
       capability=True, **_both("MAY")),
    _r("CAP-008", RESPONSES, "File input: an `input_file` part is accepted.", CRUN_RESPONSES, capability=True,
       **_both("MAY")),
    _r("CAP-009", RESPONSES, "Stored responses: `store: true` then `previous_response_id` continues the "
       "conversation.", CRUN_RESPONSES, capability=True, **_both("MAY")),
    # The official SDKs
    _r("SDK-001", CHAT, "The openai SDK parses a chat completion.", SDKS, **_both("MUST")),
    _r("SDK-002", CHAT, "The openai SDK reads a chat stream to its end.", SDKS, **_both("MUST")),
    _r("SDK-003", RESPONSES, "The openai SDK parses a response.", SDKS, **_both("MUST")),
    _r("SDK-004", RESPONSES, "The openai SDK's Responses stream yields the final response.", SDKS, **_both("MUST")),
    _r("SDK-005", MESSAGES, "The anthropic SDK parses a message.", SDKS, **_both("MUST")),
    _r("SDK-006", MESSAGES, "The anthropic SDK's message stream yields the final message.", SDKS, **_both("MUST")),
)

FUZZ_REQUIREMENTS: tuple[Requirement, ...] = (
    # Fuzzing: schemathesis generates requests from the contract and judges the answers (certify --fuzz)
    _r("FUZZ-001", ALL, "Every generated request, valid or not, gets an answer, and never a 5xx status.",
       CONTRACT, crun="MUST", openai="MUST"),
    _r("FUZZ-002", ALL, "Every status code answered to a generated request is documented for the operation.",
       CONTRACT, crun="SHOULD", openai="SHOULD"),
    _r("FUZZ-003", ALL, "Every response to a generated request has a Content-Type documented for its status.",
       CONTRACT, crun="MUST", openai="MUST"),
    _r("FUZZ-004", ALL, "Every response body, and every event of every stream, matches the contract's schema.",
       CONTRACT, crun="MUST", openai="MUST"),
    _r("FUZZ-005", ALL, "A request that breaks the request schema is refused with a 4xx status.",
       CONTRACT, crun="SHOULD", openai="SHOULD"),
    _r("FUZZ-006", ALL, "Auth is enforced under both schemes: no key, a wrong bearer token or a wrong X-API-KEY "
       "is refused with 401 or 403.", CONTRACT, crun="MUST", openai="MUST"),
    _r("FUZZ-007", ALL, "A method the contract does not declare on a path is refused with 405 and an Allow header.",
       CONTRACT, crun="SHOULD", openai="SHOULD"),
)

CATALOGUE += FUZZ_REQUIREMENTS
BY_ID: dict[str, Requirement] = {r.id: r for r in CATALOGUE}


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

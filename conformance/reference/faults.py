"""The named faults of the reference server: each one breaks one promise, so the suite can be shown to catch it.

A broken server is the reference server with faults switched on
(`ReferenceConfig(faults={CHAT_NO_DONE})`, or by name from the command line:
`serve --fault chat_no_done`). Each fault is a switch at the one place its
behaviour lives (auth, an endpoint, the SSE writer), never a second copy of the
behaviour, and the switch names the declared constant:

    from .faults import CHAT_NO_DONE
    if CHAT_NO_DONE not in config.faults: ...

A misspelt constant fails at import, and a bare name (`"chat_no_done" in
faults`) raises TypeError, so no switch can silently be off.

Adding a fault is its declaration here and its switch. A declaration is one
module-level constant, named as the fault in capitals:

    CHAT_NO_DONE = _f("chat_no_done", "A chat stream ends without `data: [DONE]`.", "CHAT-STREAM-003")

then, by keyword, what else it declares (see `Fault`): `every_check_of` the
suite cases whose every check it breaks, and the requirements that still
`holds` in them; `profiles`, `endpoints`, `models`, `declines`, `judged_by`
and `why`. The self-tests build their expectations from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Awaitable, Callable, Iterable, Protocol

from ..catalogue.contract import document
from ..catalogue.requirements import expand_ids

STALL_AFTER_EVENTS = 3  # hostile streams send this many events, then stall or trickle forever
KEEP_ALIVE_S = 0.05
HUGE_BODY_BYTES = 10 * 1024 * 1024


class SuiteCase(Protocol):
    """What a fault needs of a suite case (conformance.suite.case.Case) to expand `every_check_of`."""

    id: str
    checks: tuple[Any, ...]  # each with the `requirement` it judges


class Crash(Exception):
    """A fault's crash: answered 500 like any unhandled error, and the connection stays usable.

    An exception no handler catches reaches Starlette's outermost middleware,
    which answers 500 and re-raises it; uvicorn then logs it and closes the
    connection. A request the client had already sent on that kept-alive
    connection is reset, so a check of some other case fails on a connection
    error, more often the busier the machine. A fault breaks what it declares,
    not the next request: its crash is handled like any other error.
    """


@dataclass(frozen=True, eq=False)
class Fault:
    """One way to break the reference server, and what the suite must report against it.

    `breaks` names the requirements (ranges like `CHAT-001..005` allowed) the
    suite must fail, wherever they are checked. `every_check_of` names suite
    cases (patterns like `chat_stream_*`; `!pattern` takes cases out again)
    whose every check the fault breaks, but for the requirements that `holds`
    names: a requirement added to such a case is expected to fail with no
    edit here. Both are narrowed by `endpoints` and `models` when given; under
    a profile, only those the profile asks for are expected. `declines` names
    capabilities to be reported as not supported. `judged_by` says which
    self-test holds the expectation: `certify` (the mutation table), `matrix`
    (the same, certified as a three-model matrix), `hostile` (bounded time,
    tests/selftest/test_hostile_servers.py), `fuzz` (tests/test_fuzz.py) or
    `load` (tests/test_load.py). The self-tests build their expectations from
    these declarations (`breaks_in`); there is no second table.

    Faults compare by identity: each is declared once, as a constant below.
    """

    name: str
    description: str
    breaks: tuple[str, ...] = ()
    every_check_of: tuple[str, ...] = ()
    holds: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    declines: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ("crun",)
    why: str = ""
    judged_by: tuple[str, ...] = ("certify",)

    def breaks_in(self, suite: Iterable[SuiteCase]) -> frozenset[str]:
        """The requirements the suite must fail against this fault, given the suite's cases.

        A pattern of `every_check_of` that matches no case is refused: a case renamed must not leave a fault
        expecting nothing."""
        cases = list(suite)
        touched: dict[str, SuiteCase] = {}
        for pattern in self.every_check_of:
            negated, glob = pattern.startswith("!"), pattern.removeprefix("!")
            matched = [case for case in cases if fnmatchcase(case.id, glob)]
            if not matched:
                raise ValueError(f"fault {self.name}: no case of the suite matches {glob!r}")
            for case in matched:
                if negated:
                    touched.pop(case.id, None)
                else:
                    touched[case.id] = case
        whole = {check.requirement for case in touched.values() for check in case.checks}
        return (expand_ids(self.breaks) | expand_ids(whole)) - expand_ids(self.holds)

    @property
    def declined(self) -> frozenset[str]:
        return expand_ids(self.declines)

    def __reduce__(self) -> tuple[Callable[[str], Fault], tuple[str]]:
        """Pickled by name, so a config sent to another process still holds the declared constants."""
        return _declared, (self.name,)


def _f(name: str, description: str, *breaks: str, **declared: Any) -> Fault:
    judged_by = declared.pop("judged_by", ("certify",))
    return Fault(name, description, breaks, judged_by=(judged_by,) if isinstance(judged_by, str) else judged_by,
                 **declared)


SHAPE_FIRST = "every CHAT-0xx check first judges the body against the ChatCompletion schema"
STREAM_FIRST = "every check of a stream first needs an event stream"
# The suite cases whose answer is an event stream, and the official SDKs' streams.
STREAM_CASES = ("chat_stream_*", "responses_stream*", "messages_stream*")
SDK_STREAM_CASES = ("sdk_sdk_002", "sdk_sdk_004", "sdk_sdk_006", "sdk_sdk_007", "sdk_sdk_011")
BOTH = ("crun", "openai")
# The caps judged on a stream's usage: with no stream to read they are not judged (the stream checks fail instead).
STREAM_CAPS = ("CHAT-003", "MSG-011", "RESP-004")
# Judged only on the thinking stream, which the /messages probe's case holds (issue 24): no stream case of its own.
THINKING_STREAM = ("MSG-STREAM-011", "SDK-010")
# What the stream cases judge that needs no stream (issue 24): the JSON answer the tool case reads before its stream
# (CHAT-019); and, when a complete answer came, that no error came with its 2xx (ERR-006) and that the request with
# tools was accepted (CHAT-012).
STREAMLESS = ("CHAT-019",)
COMPLETE_2XX = ("ERR-006", "CHAT-012")

# Authentication
NO_AUTH = _f("no_auth", "Every request is served, with or without a key, right or wrong.", "AUTH-003", "AUTH-004",
             "AUTH-006")
WRONG_KEY_ACCEPTED = _f("wrong_key_accepted", "Any key is accepted; a request without a key is still refused.", "AUTH-004",
                        "AUTH-006", why="a wrong key is accepted in either header")
X_API_KEY_PROBE_ONLY = _f("x_api_key_probe_only", "`X-API-KEY` authenticates only requests naming an unknown model (they "
                          "then get the usual 404); every real request with the key in `X-API-KEY` is refused with 401.",
                          "AUTH-002")
X_API_KEY_ANY_VALUE = _f("x_api_key_any_value", "Any `X-API-KEY` value is accepted; a request without a key, or with a "
                         "wrong Bearer key, is still refused.", "AUTH-006")
WRONG_KEY_DETAIL_BODY = _f("wrong_key_detail_body", "A wrong key, in either header, is refused with 401 and "
                           "`{\"detail\": \"Invalid token\"}` on every endpoint.", "AUTH-004", "AUTH-006", profiles=BOTH,
                           why="the refusal is a 401, but neither the OpenAI error object nor Anthropic's")
BEARER_ONLY = _f("bearer_only", "`X-API-KEY` is ignored: only `Authorization: Bearer` authenticates.", "AUTH-002",
    why="the anthropic SDK (2.x) sends its key as a Bearer token too")
MODELS_BEARER_REFUSED = _f("models_bearer_refused",
                           "`GET /models` ignores `Authorization: Bearer` and takes only `X-API-KEY`.",
                           every_check_of=("models_list",), holds=("AUTH-005", "ERR-006"),
                           why="every check of the model list judges the same refused GET /models; no key is echoed")
NO_KEY_500 = _f("no_key_500", "A request without a key crashes the server: 500.", "AUTH-003")
KEY_ECHOED = _f("key_echoed", "A 401 quotes the key that was sent.", "AUTH-005")
KEY_IN_BODY = _f("key_in_body", "`GET /models` names the caller's own key as each model's `owned_by`.", "AUTH-005")
# Models
MODELS_NO_LIST_OBJECT = _f("models_no_list_object", "`GET /models` leaves out `object: \"list\"`.", "MODELS-001")
MODELS_INCOMPLETE = _f("models_incomplete", "`GET /models` lists only its first model, though it serves them all.", "MODELS-002")
MODELS_10MB = _f("models_10mb", "`GET /models` answers with a 10 MB body.",
                 every_check_of=("models_list", "auth_x_api_key_models"), holds=("AUTH-005",),
                 why="the caller stops reading at 8 MiB: no complete answer to GET /models, and no key in what it read",
                 judged_by=("certify", "hostile"))
# Chat completions
CHAT_BODY_OFF_SCHEMA = _f("chat_body_off_schema", "A chat completion body without its `id`, against the response schema.",
    "CHAT-001..011", "CHAT-014", why=SHAPE_FIRST)
CHAT_CHOICES_NOT_LIST = _f("chat_choices_not_list", "A chat completion's `choices` is one choice object instead of a list.",
    "CHAT-001..011", "CHAT-014", "CHAT-016", "CAP-001", "CAP-004", "CAP-005", "CAP-010", "CAP-101", "CAP-104",
    "CAP-105", "CAP-110", "SDK-001", "CHAT-017", "CHAT-019", "CHAT-STREAM-013", profiles=BOTH,
    why=SHAPE_FIRST + "; the chat capability probes read choices[0] too, supported and honoured; CHAT-016 counts one "
    "choice in a list; the tool case reads the choices of its JSON answer (CHAT-017, CHAT-019, CHAT-STREAM-013)")
CHAT_N_IGNORED = _f("chat_n_ignored", "`n` is accepted, but one choice is generated.", "CHAT-002")
CHAT_MAX_TOKENS_IGNORED = _f("chat_max_tokens_ignored", "Chat's `max_tokens` is validated, then ignored (`max_completion_tokens` still "
    "caps).", "CHAT-003")
HUGE_MAX_TOKENS_REFUSED = _f("huge_max_tokens_refused",
    "A chat `max_tokens` above the model's output limit is refused with 400, not capped.",
    "CHAT-005")
HUGE_MAX_TOKENS_OVERFLOW = _f("huge_max_tokens_overflow", "A chat `max_tokens` above the model's output limit overflows to 0: an empty "
    "answer cut with `finish_reason: \"length\"`.", "CHAT-005")
CHAT_USAGE_MISCOUNTED = _f("chat_usage_miscounted",
    "Chat usage `total_tokens` is one more than prompt + completion, in bodies and streams.",
    "CHAT-004", "USAGE-003", why="one usage count serves the body and the stream")
CHAT_CREATED_MS = _f("chat_created_ms", "`created` is in milliseconds on chat completions, their stream chunks and text "
                     "completions.", "CHAT-015", profiles=BOTH)
CHAT_LOGPROBS_BY_DEFAULT = _f("chat_logprobs_by_default", "Every chat choice carries `logprobs` content though the "
                              "request did not ask for it.", "CHAT-016", profiles=BOTH)
# Chat streams
CHAT_NO_DONE = _f("chat_no_done", "A chat stream ends without `data: [DONE]`.", "CHAT-STREAM-003")
CHAT_CHUNK_OBJECT_WRONG = _f("chat_chunk_object_wrong", "Chat stream chunks say `object: \"chat.completion\"`.", "CHAT-STREAM-004",
    "SDK-007", "SDK-008", why="openai's chat stream helper builds its snapshot only from chat.completion.chunk objects: "
    "it raises, with no final completion")
CHAT_NO_FINISH_REASON = _f("chat_no_finish_reason", "No chunk of a chat stream carries a `finish_reason`.", "CHAT-STREAM-005")
CHAT_NO_ROLE = _f("chat_no_role", "The first delta of a chat stream has no `role`.", "CHAT-STREAM-006")
CHAT_CHUNK_IDS_VARY = _f("chat_chunk_ids_vary", "Every chat stream chunk has an `id` of its own.", "CHAT-STREAM-007", profiles=BOTH,
    why="CRUN's own recorded stream has empty ids: only the openai profile asks for one stable id")
CHAT_CHUNK_INVALID_JSON = _f("chat_chunk_invalid_json", "The second event of every chat stream is JSON cut short.", "CHAT-STREAM-002",
    "SDK-002", "SDK-007", "SDK-008", "CHAT-STREAM-011", why="the openai SDK cannot parse the cut chunk, with its stream "
    "helper (SDK-007, SDK-008) too; in a stream of tool calls the cut chunk is a call's first argument fragment, so its arguments do "
    "not join (CHAT-STREAM-011)", judged_by=("certify", "hostile"))
USAGE_ONLY_WHEN_ASKED = _f("usage_only_when_asked", "Stream usage only with `stream_options.include_usage: true` (OpenAI's rule, not "
    "CRUN's).", "USAGE-001", profiles=BOTH, why="the openai profile asks for stream usage only when asked")
NO_STREAM_USAGE = _f("no_stream_usage", "Chat streams never carry usage, even when asked.", "USAGE-001", "USAGE-002",
    why="USAGE-003 judges usage that came, not whether it came")
STREAM_USAGE_TWICE = _f("stream_usage_twice", "The usage chunk of a chat stream is sent twice.", "USAGE-003")
USAGE_CHUNK_WITH_CHOICES = _f("usage_chunk_with_choices", "Stream usage rides on the last choice chunk instead of a chunk with "
    "`choices: []`.", "USAGE-004", profiles=BOTH, why="USAGE-004 is an openai-profile SHOULD; crun does not ask")
USAGE_BEFORE_FINISH = _f("usage_before_finish", "A chat stream sends its usage chunk, then the finish chunk, then "
                         "`[DONE]`.", "USAGE-005", profiles=BOTH)
INCLUDE_USAGE_FALSE_IGNORED = _f("include_usage_false_ignored", "A chat stream carries usage though the request says "
                                 "`stream_options.include_usage: false`.", "USAGE-006", profiles=BOTH)
STREAM_LENGTH_AS_STOP = _f("stream_length_as_stop", "A chat stream cut by its limit ends with `finish_reason: \"stop\"`, "
                           "not \"length\" (JSON answers still say \"length\").", "CHAT-STREAM-008", profiles=BOTH)
# Chat tool calls, JSON and streamed (issue 24): each fault is a bug reported against a real server or gateway
# (the comment names one report); the requests are the parallel `required` case (a JSON answer and its stream), the
# forced round trip streamed, and the openai SDK's stream helper on the parallel request.
# Ollama #7881; Gemini's OpenAI endpoint (openai-python #2806); new-api #672
CHAT_TOOL_NO_INDEX = _f("chat_tool_no_index", "Streamed `tool_calls` fragments carry no `index`.", "CHAT-STREAM-009",
    "CHAT-STREAM-004", "CHAT-STREAM-013", "SDK-007", "SDK-008", profiles=BOTH,
    why="the contract's chunk requires the index (CHAT-STREAM-004); no call can be assembled by index, so the "
        "stream's calls are not the JSON answer's (CHAT-STREAM-013); openai-python's stream helper raises TypeError "
        "(SDK-007), with no final completion to hold the calls (SDK-008)")
# Ollama #15457; SGLang #6310; Portkey #1275; new-api #2701
CHAT_TOOL_INDEX_SHARED = _f("chat_tool_index_shared", "Parallel streamed tool calls all take `index: 0`.",
    "CHAT-STREAM-011", "CHAT-STREAM-012", "CHAT-STREAM-013", "SDK-008", profiles=BOTH,
    why="assembled by index, the two calls become one whose arguments are two JSON objects (CHAT-STREAM-011), under "
        "two ids and names (CHAT-STREAM-012), one call where the JSON answer has two (CHAT-STREAM-013), and the SDK's "
        "final message holds that one call")
# elizaOS #16973; opencodex #361
CHAT_TOOL_ARGUMENTS_RESENT = _f("chat_tool_arguments_resent", "After a streamed tool call's argument fragments, "
    "one more fragment re-sends the whole arguments.", "CHAT-STREAM-011", "SDK-007", "SDK-008", profiles=BOTH,
    why="the SDK's helper joins the fragments as the wire says, and raises when it parses the strict tool's "
        "arguments: no final completion")
# poolside pool #9; mlx-openai-server #216
CHAT_TOOL_ID_CHANGES = _f("chat_tool_id_changes", "A streamed tool call's later fragments carry an `id` other than "
    "its first fragment's.", "CHAT-STREAM-012", profiles=BOTH)
# llama.cpp #13774, fixed by #13800 ("define tool_call.type")
CHAT_TOOL_NO_TYPE = _f("chat_tool_no_type", "Streamed tool calls never carry `type: \"function\"`.",
    "CHAT-STREAM-010", profiles=BOTH)
# LiteLLM #12862; mlx-vlm #990
CHAT_TOOL_FINISH_STOP = _f("chat_tool_finish_stop", "Answers that end in tool calls say `finish_reason: \"stop\"`, "
    "in JSON and streams.", "CHAT-017", "CHAT-018", profiles=BOTH,
    why="the forced call ends with \"stop\" too (CHAT-018, a SHOULD)")
# vLLM #9209; gpt-4o in ollama #7963
CHAT_TOOL_FORCED_FINISH_STOP = _f("chat_tool_forced_finish_stop", "A single forced function ends with "
    "`finish_reason: \"stop\"`, as OpenAI's own API has answered.", "CHAT-018", profiles=BOTH,
    why="a SHOULD: certify exits 0")
# llama.cpp #20198
CHAT_TOOL_ARGUMENTS_OBJECT = _f("chat_tool_arguments_object", "A JSON answer's tool call `arguments` is a JSON "
    "object, not a string holding one.", "CHAT-019", "CAP-101", profiles=BOTH,
    why="CAP-101 reads the forced call's arguments as the string OpenAI sends")
# llmeter #34 (Bedrock Mantle); mentat #429 (Azure)
CHAT_TOOL_EMPTY_CHOICES = _f("chat_tool_empty_choices", "A stream of tool calls sends a chunk with `choices: []` and "
    "no usage after each call.", "CHAT-STREAM-014", profiles=BOTH)
# qwen-code #2403
CHAT_TOOL_FINISH_TWICE = _f("chat_tool_finish_twice", "A stream of tool calls sends its finish chunk twice.",
    "CHAT-STREAM-005", "CHAT-STREAM-015", profiles=BOTH,
    why="two finish_reasons for one choice, and a chunk of the choice after its finish chunk")
# no public report of this one was found; it is the last rule of the stream list
CHAT_TOOL_CHUNK_AFTER_DONE = _f("chat_tool_chunk_after_done", "A stream of tool calls sends its usage chunk once "
    "more after `data: [DONE]`.", "CHAT-STREAM-003", profiles=BOTH)
# Unknown models and error bodies
UNKNOWN_MODEL_200 = _f("unknown_model_200", "An unknown model is served by the first model, 200.", "ERR-001..005")
UNKNOWN_MODEL_400 = _f("unknown_model_400", "An unknown model is refused with 400 instead of 404.", "ERR-002")
UNKNOWN_MODEL_NO_CODE = _f("unknown_model_no_code", "An unknown model's error has no `code`.", "ERR-003")
UNKNOWN_MODEL_STREAMS = _f("unknown_model_streams", "An unknown model asked to stream gets a 200 stream from the first model.",
    "ERR-003", "ERR-004", why="the stream cases also ask for model_not_found")
# Issue 24: errors sent with a 2xx status, which clients take for success and never retry (ERR-006)
# one-api #193; hebo-platform #471 (/messages); mofa #1339
ERROR_200 = _f("error_200", "Every refusal (a 4xx) is sent with HTTP 200, its error body unchanged.", "ERR-006",
    "ERR-001..005", "AUTH-003", "AUTH-004", "AUTH-006", "PARAM-004", "MSG-002", "MSG-003", "COMP-002", "COMP-004",
    "RESP-014", "RESP-018", profiles=BOTH,
    why="every rule that asks for a 4xx (a key refused, an unknown model, a bad parameter, a stream on /completions) "
        "sees a 200; a 200 is read as an answer where one is allowed (a completion, a response without input, the "
        "built-in tool), and an error is none")
# new-api #3142 (a Responses stream's failure committed as 200); mofa #1339
ERROR_200_STREAM = _f("error_200_stream", "A refused request that asked to stream gets a 200 event stream whose one "
    "event is the error.", "ERR-006", "ERR-003", "ERR-004", "COMP-002", "COMP-004", profiles=BOTH,
    why="an unknown model asked to stream gets a 200 stream, no 4xx with model_not_found (ERR-003, ERR-004); so does "
        "stream: true on /completions (COMP-002, COMP-004)")
MESSAGES_OPENAI_ERRORS = _f("messages_openai_errors", "`/messages` errors come in the OpenAI shape.", "AUTH-003", "AUTH-004",
    "AUTH-006", "ERR-005", "MSG-002", "MSG-003", endpoints=("POST /messages",),
    why="all six ask for the Anthropic error shape")
# Legacy completions
COMPLETIONS_CHAT_SHAPED = _f("completions_chat_shaped", "Text completion choices carry a chat `message` instead of `text`.", "COMP-001")
COMPLETIONS_STREAM = _f("completions_stream", "`/completions` streams when asked.", "COMP-002", "COMP-004", profiles=BOTH,
    why="only CRUN refuses streaming on /completions")
COMPLETIONS_STREAM_500 = _f("completions_stream_500", "`stream: true` on `/completions` crashes the server: 500.", "COMP-002", "COMP-003",
    "COMP-004", profiles=BOTH, why="a 5xx is neither the 4xx nor the JSON answer COMP-002/004 allow")
# Parameters
TEMPERATURE_UNCHECKED = _f("temperature_unchecked", "`temperature` is not range-checked: 5 is accepted.", "PARAM-004", "MSG-003",
    why="an accepted bad parameter is no refusal of any kind, on /messages too; it is no crash (PARAM-001 holds) and "
        "leaves no refusal whose form PARAM-002/003 would judge")
MALFORMED_JSON_500 = _f("malformed_json_500", "A body that is not JSON crashes the server: 500.", "PARAM-001", "PARAM-004",
    "MSG-003", why="a 5xx is not the 4xx/400 PARAM-004 and MSG-003 ask for either; PARAM-002/003 judge only a refusal")
PARAM_ERROR_BARE = _f("param_error_bare", "400 refusals on the OpenAI paths are a bare `{\"message\": ...}`, not the OpenAI error "
    "object.", "PARAM-002", "PARAM-003", "COMP-002", "RESP-015", why="all four read the OpenAI error object")
PARAM_NOT_NAMED = _f("param_not_named", "Refusals leave `error.param` null.", "PARAM-003", "RESP-015",
    why="RESP-015 asks /responses without input to name `input`")
UNKNOWN_FIELD_500 = _f("unknown_field_500", "A body field the contract does not define crashes the server: 500.", "FUZZ-001",
    "PARAM-011", why="certify sends one such field on chat and /responses (PARAM-011); the fuzzer judges the rest",
    judged_by=("certify", "fuzz"))
# Issue 23: the documented bounds no case sent before. The bounds sent before (temperature, top_p, `n` above 8,
# `max_tokens: 0`) stay refused under these faults, so only the new cases can catch them.
UNSENT_BOUNDS = {"messages": "low", "model": "both", "n": "low", "max_completion_tokens": "low",
                 "max_output_tokens": "low", "stop": "high", "presence_penalty": "both", "frequency_penalty": "both",
                 "top_logprobs": "both"}
OUT_OF_RANGE_500 = _f("out_of_range_500", "A value beyond a documented bound no case sent before issue 23 crashes the "
    "server: 500 (`messages: []`, a model id of 0 or 129 characters, `n: 0`, `max_completion_tokens: 0`, "
    "`max_output_tokens: 0`, five stop sequences, a penalty outside -2..2, `top_logprobs` outside 0..20).",
    "PARAM-001", "PARAM-004", profiles=BOTH,
    why="a 5xx is no 4xx either (PARAM-004); with no refusal, PARAM-002/003 have no refusal's form to judge")
OUT_OF_RANGE_CLAMPED = _f("out_of_range_clamped", "The same values are served, not refused: numbers clamped into range, "
    "the stop sequences cut to four, `messages: []` answered as an empty conversation, an empty model id served by "
    "the first model (a 129-character id is looked up as it is: 404).", "PARAM-004", profiles=BOTH,
    why="only refusing is missed, and PARAM-004 is a SHOULD (the pages state ranges; a gateway may clamp, it must not "
        "crash): certify exits 0; no crash (PARAM-001 holds), no refusal whose form PARAM-002/003 would judge")
# Responses
RESPONSES_USAGE_CHAT_NAMES = _f("responses_usage_chat_names",
    "Response usage is named `prompt_tokens`/`completion_tokens`, like chat usage.",
    "RESP-001..005", "RESP-010", "RESP-011", "RESP-016", "RESP-017", "RESP-021", "RESP-STREAM-002", "TOOLS-002",
    why="every RESP check, and the stream's final response, is judged against the Response schema; the honoured "
        "capabilities find no input_tokens to compare and say 'not judged'; a forced call's usage and the reasoning "
        "tokens are not where the Responses format puts them")
RESPONSES_CREATED_AT_MS = _f("responses_created_at_ms", "A response's `created_at` is in milliseconds, in bodies and "
                             "streams.", "RESP-017", profiles=BOTH)
RESPONSES_NO_OUTPUT_TEXT = _f("responses_no_output_text", "A response without the top-level `output_text`.", "RESP-002")
RESPONSES_USAGE_MISCOUNTED = _f("responses_usage_miscounted", "Response usage `total_tokens` is one more than input + output.", "RESP-003")
RESPONSES_MAX_OUTPUT_TOKENS_IGNORED = _f("responses_max_output_tokens_ignored",
    "`max_output_tokens` is validated, then ignored.", "RESP-004",
    "RESP-005", "RESP-STREAM-008", why="an answer never cut is never incomplete either")
RESPONSES_OUTPUT_NOT_LIST = _f("responses_output_not_list", "A response's `output` is one item object instead of a list.",
    "RESP-001..005", "RESP-010", "RESP-011", "RESP-016", "RESP-017", "CAP-002", "CAP-006..009", "CAP-011", "CAP-102",
    "CAP-106", "SDK-003", profiles=BOTH, why="every Responses probe reads output; of the honoured capabilities, those "
    "the output shows (a function_call, JSON text): the input tokens of the others still show their parts carried")
RESPONSES_NO_CREATED = _f("responses_no_created", "A Responses stream starts without `response.created`.", "RESP-STREAM-003", "SDK-004",
    "SDK-011", why="the openai SDK needs response.created first")
RESPONSES_NO_TERMINAL = _f("responses_no_terminal", "A Responses stream ends without its terminal event.", "RESP-STREAM-004",
    "RESP-STREAM-007", "RESP-STREAM-008", "SDK-004", "SDK-011",
    why="RESP-STREAM-007 and 008 read the terminal event's response; the openai SDK's final response is that event's")
RESPONSES_SEQUENCE_REPEATS = _f("responses_sequence_repeats",
    "Every event of a Responses stream has `sequence_number` 0.", "RESP-STREAM-005")
RESPONSES_NO_EVENT_LINES = _f("responses_no_event_lines", "Responses stream events have no `event:` line.", "RESP-STREAM-006")
RESPONSES_DELTAS_SHORT = _f("responses_deltas_short", "A Responses stream leaves out its last text delta.", "RESP-STREAM-007")
RESPONSES_EVENT_OFF_SCHEMA = _f("responses_event_off_schema", "Responses text delta events have no `item_id`.", "RESP-STREAM-002")
# Messages
MESSAGES_CONTENT_NOT_LIST = _f("messages_content_not_list", "A message's `content` is one block object instead of a list.", "MSG-001",
    "MSG-011", "MSG-012", "MSG-014..017", "CAP-003", "CAP-103", "SDK-005", profiles=BOTH,
    why="the tools probe reads content too, and the cap, stop, tool and thinking checks judge the Message schema first")
MESSAGES_MAX_TOKENS_OPTIONAL = _f("messages_max_tokens_optional", "`/messages` without `max_tokens` is served with a default.", "MSG-002")
MESSAGES_STOP_REASON_OPENAI = _f("messages_stop_reason_openai",
    "Messages say `stop_reason: \"stop\"`, OpenAI's word, in bodies and streams.",
    "MSG-001", "MSG-011", "MSG-014..017", "MSG-STREAM-002", "MSG-STREAM-004", "MSG-STREAM-009", "TOOLS-001",
    why="one stop_reason serves the message and its stream; MSG-011 asks \"max_tokens\" of an answer cut there, "
        "MSG-014, MSG-STREAM-009 and TOOLS-001 \"tool_use\" of a tool call (it says \"tool\"), and MSG-015..017 judge "
        "the Message schema")
MESSAGES_NO_STOP = _f("messages_no_stop", "A Messages stream ends without `message_stop`.", "MSG-STREAM-003")
MESSAGES_OUT_OF_ORDER = _f("messages_out_of_order", "A Messages stream sends `message_delta` before `content_block_stop`.",
    "MSG-STREAM-003")
MESSAGES_NO_EVENT_LINES = _f("messages_no_event_lines", "Messages stream events have no `event:` line (the anthropic SDK reads nothing).",
    "MSG-STREAM-005", "SDK-006", "SDK-009", "SDK-010",
    why="the anthropic SDK dispatches on event: names, live and reading the recorded tool and thinking streams")
MESSAGES_DELTA_NO_STOP_REASON = _f("messages_delta_no_stop_reason", "A Messages stream's `message_delta` has `stop_reason: null`.",
    "MSG-STREAM-004", "MSG-011", "MSG-STREAM-009",
    why="MSG-011 reads the stop_reason of a stream cut at max_tokens there, MSG-STREAM-009 that of a tool call")
MESSAGES_DONE_MARKER = _f("messages_done_marker", "A Messages stream ends with an OpenAI-style `data: [DONE]`.", "MSG-STREAM-006")
MESSAGES_EVENT_OFF_SCHEMA = _f("messages_event_off_schema", "Messages `content_block_stop` events have no `index`.", "MSG-STREAM-002",
    "SDK-006", "SDK-009", "SDK-010", why="the anthropic SDK finds the block to close by content_block_stop.index")
MESSAGES_STREAM_NO_TEXT = _f("messages_stream_no_text", "A Messages stream's text block gets no `text_delta`, while its "
                             "`message_delta` usage reports the output tokens.", "MSG-STREAM-007", profiles=BOTH)
# Issue 24: tool_use and thinking on /messages, streamed and JSON; each fault is a public bug report's break
MESSAGES_TOOL_END_TURN = _f("messages_tool_end_turn", "An answer that ends with a `tool_use` block says `stop_reason: "
    "\"end_turn\"`, in JSON and in streams (LiteLLM #34692, weave-os/router #250).", "MSG-014", "MSG-STREAM-009",
    "TOOLS-001", why="the forced call of the three-formats comparison ends the same way (TOOLS-001)")
MESSAGES_TOOL_INPUT_IN_START = _f("messages_tool_input_in_start", "A streamed `tool_use` block opens with its whole "
    "`input` in `content_block_start`, and no `input_json_delta` follows (AntSeed #15, ccrelay #119).",
    "MSG-STREAM-010")
MESSAGES_TOOL_PARTIAL_JSON_BROKEN = _f("messages_tool_partial_json_broken", "A streamed `tool_use` block loses its first "
    "`input_json_delta` piece, so the pieces join to no JSON object (vLLM #34887).", "MSG-STREAM-010", "CAP-103",
    "SDK-009", why="the forced tool's input cannot be read from the stream (CAP-103), nor by the anthropic SDK")
MESSAGES_TOOL_RESULT_REFUSED = _f("messages_tool_result_refused", "The ids of `tool_use` blocks in the history are "
    "rewritten on the way upstream, so every `tool_result` is refused: 400 \"unexpected `tool_use_id` found in "
    "`tool_result` blocks\" (CLIProxyAPI #497, github/copilot-cli #1159).", "MSG-015")
MESSAGES_STREAM_START_NO_INPUT_TOKENS = _f("messages_stream_start_no_input_tokens", "A Messages stream's "
    "`message_start` reports `usage.input_tokens: 0`; the count comes only in `message_delta` (CLIProxyAPI #1700, "
    "SGLang #20678, LiteLLM #41406).", "MSG-STREAM-008")
MESSAGES_STREAM_INDEX_GAP = _f("messages_stream_index_gap", "A Messages stream numbers its content blocks 0, 2, 3, …: "
    "the second block opens at index 2 (new-api #5482).", "MSG-STREAM-003", "SDK-010",
    why="the anthropic SDK indexes its content list by the event's index and fails on the gap")
MESSAGES_STREAM_BLOCK_OVERLAP = _f("messages_stream_block_overlap", "A Messages stream opens each content block at "
    "index 0, without closing the one before (Ollama #17101).", "MSG-STREAM-003")
MESSAGES_THINKING_NO_SIGNATURE = _f("messages_thinking_no_signature", "Thinking blocks lose their `signature`: none in "
    "JSON, no `signature_delta` in streams (hebo-gateway #132, LMDeploy #4851).", "MSG-016", "MSG-017",
    "MSG-STREAM-011", "SDK-010", profiles=BOTH,
    why="the second turn sends the thinking back unsigned, as a client has it, and is refused; the SDK's final "
        "message holds the thinking without a signature")
MESSAGES_THINKING_SWALLOWED = _f("messages_thinking_swallowed", "`thinking` is accepted and its blocks never reach the "
    "client, in JSON or streams, though usage counts their tokens (SGLang #26795).", "MSG-016", "MSG-STREAM-011",
    profiles=BOTH)
MESSAGES_THINKING_SIGNATURE_REJECTED = _f("messages_thinking_signature_rejected", "A second turn that sends the "
    "assistant's thinking back unchanged is refused: 400 \"Invalid `signature` in `thinking` block\" (9router #2227, "
    "Antigravity-Manager #608, CLIProxyAPI #2172).", "MSG-017", profiles=BOTH)
# Optional capabilities
CAPABILITIES_DECLINED = _f("capabilities_declined", "Tools, structured output, image and file input and stored responses are refused "
    "with a proper 400.", "CHAT-007", "CHAT-012", "CHAT-013", "RESP-012", "RESP-013", "RESP-018", "PARAM-012", "MSG-013",
    "MSG-015", declines=("CAP-001..011", "CAP-101..111", "MSG-014", "MSG-STREAM-009", "MSG-STREAM-010", "SDK-009",
                         "CHAT-017", "CHAT-019", "CHAT-STREAM-003..006", "CHAT-STREAM-009..015", "SDK-007", "SDK-008",
                         "TOOLS-001..002", "RESP-019", "RESP-STREAM-001..006", "RESP-STREAM-009..013", "SDK-011"),
    why="a capability declined with a proper 4xx is reported as not supported, not failed (so are the tool_use "
        "format rules, the chat stream rules on the stream answering tools, the forced call's stream and items on "
        "/responses, and the SDKs' stream helpers on them); but the pages promise to accept tools (chat, /responses "
        "and /messages, so the tool round trips and built-in tools too), response_format json_object and text.format "
        "without a condition")
CAPABILITIES_BROKEN = _f("capabilities_broken", "Tools and structured output are silently dropped, so are image and "
    "file parts, and a follow-up to a stored response is answered without it: each accepted, none honoured.",
    "CAP-101..111", "RESP-STREAM-009", "SDK-011",
    why="accepted is all the CAP-0NN (MAY) rows ask; each CAP-1NN (MUST) sees what was ignored, and so do the "
        "forced call's stream (RESP-STREAM-009) and the SDK's (SDK-011)")
# One model's adapter only: a model matrix shows the failure in that model's column and nowhere else
STREAM_USAGE_MISSING_FOR_GEMINI = _f("stream_usage_missing_for_gemini",
    "Google models' chat streams carry usage only when asked.", "USAGE-001",
    models=("gemini-3.1-pro-preview",), judged_by="matrix")
CHAT_STREAM_500_FOR_CLAUDE = _f("chat_stream_500_for_claude", "Anthropic models' chat streams crash the adapter: 500.",
                                every_check_of=("chat_stream_*", "sdk_sdk_002", "sdk_sdk_007"),
                                holds=("MODELS-003", *STREAM_CAPS, *STREAMLESS, "ERR-006"),
                                models=("claude-sonnet-4-5",), judged_by="matrix",
                                why="every check of a chat stream first needs the stream; the model echo finds no "
                                    "event to read and is skipped")
MESSAGES_DECLINES_OPENAI_MODELS = _f("messages_declines_openai_models",
    "`/messages` refuses OpenAI models with a proper 400 Anthropic error.",
    declines=("AUTH-001", "MSG-001", "MSG-010..017", "MSG-STREAM-001..011", "CAP-003", "CAP-103", "SDK-005",
              "SDK-006", "SDK-009", "SDK-010", "TOOLS-001..002"),
    models=("gpt-5.4",), judged_by="matrix",
    why="in a matrix, what fails on an endpoint for a model it declines properly is not supported there; what "
        "holds (no key echoed, refusals in the right shape) stays passed")
# Issue 10: cut answers, /messages refusals, stored responses declined properly, every violation listed
RESPONSES_CUT_BUT_COMPLETED = _f("responses_cut_but_completed",
    "A Responses answer cut by `max_output_tokens` says `status: \"completed\"` with `incomplete_details: null`, "
    "in bodies and streams (`response.completed`).", "RESP-005", "RESP-STREAM-008")
MESSAGES_MISSING_FIELD_500 = _f("messages_missing_field_500",
    "`/messages` answers a missing required field (`messages`, `max_tokens`) with 500.",
    "PARAM-001", "MSG-002", "MSG-003", endpoints=("POST /messages",),
    why="a 5xx is none of the 400 refusals MSG-002/003 ask for")
RESPONSES_NOT_STORED = _f("responses_not_stored", "`store: true` is accepted but nothing is kept: a `previous_response_id` is refused "
    "with a proper 404.", declines=("CAP-009", "CAP-109"),
    why="a proper 4xx refusal of a capability is reported as not supported, not failed")
RESPONSES_TWO_STREAM_FAULTS = _f("responses_two_stream_faults",
    "Responses stream events have no `sequence_number`, and the stream ends with a stray `data: [DONE]`.",
    "RESP-STREAM-002", "RESP-STREAM-005",
    why="RESP-STREAM-002 lists both violations; RESP-STREAM-005 the missing numbers")
# Every stream, every JSON body (most of these are the self-test's hostile servers)
STREAM_AS_JSON = _f("stream_as_json", "Streams are served as `application/json`.", *THINKING_STREAM,
                    every_check_of=STREAM_CASES, holds=("MODELS-003", "RESP-020", *STREAM_CAPS, *STREAMLESS, *COMPLETE_2XX),
                    why=STREAM_FIRST + "; the model echo finds no event to read and is skipped, and a streamed call "
                        "that never came has no round trip to judge")
STREAM_STALLS = _f("stream_stalls", f"Streams send {STALL_AFTER_EVENTS} events, then nothing, and never close.",
                   *THINKING_STREAM, every_check_of=STREAM_CASES + SDK_STREAM_CASES, holds=(*STREAM_CAPS, *STREAMLESS),
                   judged_by="hostile",
                   why="a stream cut by the deadline is no answer, to read the model from or anything else")
STREAM_ENDLESS = _f("stream_endless", f"Streams send {STALL_AFTER_EVENTS} events, then a keep-alive comment every "
                    f"{KEEP_ALIVE_S:g} s, forever.", *THINKING_STREAM, every_check_of=STREAM_CASES + SDK_STREAM_CASES,
                    holds=(*STREAM_CAPS, *STREAMLESS),
                    judged_by="hostile",
                    why="a stream cut by the deadline is no answer, to read the model from or anything else")
SSE_NO_BLANK_LINES = _f("sse_no_blank_lines", "Stream events are not separated by blank lines.", *THINKING_STREAM,
                        every_check_of=STREAM_CASES + SDK_STREAM_CASES,
                        holds=("MODELS-003", "RESP-020", *STREAM_CAPS, *STREAMLESS, *COMPLETE_2XX),
                        judged_by="hostile",
                        why=STREAM_FIRST + "; the model echo finds no event to read and is skipped, and a streamed "
                            "call that never came has no round trip to judge")
JSON_GARBAGE = _f("json_garbage", "Every JSON body, errors included, is replaced by garbage bytes (the status is kept).",
                  "CHAT-017", "CHAT-019", "CHAT-STREAM-013", "RESP-020",
                  every_check_of=("*", *(f"!{case}" for case in STREAM_CASES + SDK_STREAM_CASES)),
                  holds=("AUTH-001", "AUTH-002", "AUTH-005", "ERR-001", "ERR-002", "PARAM-001", "PARAM-004",
                         "PARAM-010..013",
                         "COMP-003", "COMP-004", "CHAT-012", "CHAT-013", "RESP-012..014", "MSG-013", "MODELS-003",
                         "MSG-STREAM-002", "MSG-STREAM-003", "MSG-STREAM-008", *THINKING_STREAM, "ERR-006"),
                  why="every check of an answer that is JSON reads the body, but those of a status alone (the right keys, "
                      "the 4xx/404 of an unknown model, no 5xx, parameters accepted), which hold, the model echo, "
                      "which finds no model to compare and is skipped, and those of the thinking stream the /messages "
                      "probe's case holds, an event stream; garbage is no error body either (ERR-006); the tool case's "
                      "stream is spared, its JSON answer is not (CHAT-017, CHAT-019, CHAT-STREAM-013); the round trip "
                      "after a streamed call is JSON too",
                  judged_by=("certify", "hostile"))

# The promises of the seed pages a real client relies on every day (issue 11): one fault each.
MODEL_UPSTREAM_NAME = _f("model_upstream_name", "Every answer names the dated upstream model (`gpt-5.4-2026-03-01`), not the public id "
    "asked for.", "MODELS-003")
CHAT_HISTORY_REFUSED = _f("chat_history_refused", "A chat conversation with an earlier `assistant` turn is refused with 400.", "CHAT-006",
    "CHAT-007", "CHAT-012", why="the tool round trip has an assistant turn too; streamed, it also carries tools, so the "
    "refusal is one of a request with tools (CHAT-012)")
CHAT_TOOL_RESULT_REFUSED = _f("chat_tool_result_refused", "A `role: \"tool\"` message is refused with 400.", "CHAT-007",
    "CHAT-012", why="the round trip streamed carries tools: its refusal is one of a request with tools (CHAT-012)")
MAX_COMPLETION_TOKENS_IGNORED = _f("max_completion_tokens_ignored",
    "Chat's `max_completion_tokens` is validated, then ignored.", "CHAT-008")
HUGE_MAX_COMPLETION_TOKENS_REFUSED = _f("huge_max_completion_tokens_refused",
    "A chat `max_completion_tokens` above the model's output limit is "
    "refused with 400, not capped.", "CHAT-009")
STOP_IGNORED = _f("stop_ignored", "Chat stop sequences are validated, then ignored.", "CHAT-010")
LOGPROBS_IGNORED = _f("logprobs_ignored", "Chat's `logprobs` is accepted, and never returned.", "CHAT-011", profiles=("openai",),
    why="only Crazyrouter's page documents logprobs: an openai-profile requirement")
CHAT_PENALTIES_REFUSED = _f("chat_penalties_refused", "`presence_penalty` and `frequency_penalty` are refused with 400.", "PARAM-010")
EXTRA_FIELDS_REFUSED = _f("extra_fields_refused", "A top-level field the contract does not define is refused with 400.", "PARAM-011")
RESPONSES_REASONING_REFUSED = _f("responses_reasoning_refused", "`reasoning` is refused with 400 on `/responses`.",
    declines=("PARAM-013",), why="the page passes reasoning on to the upstream where it supports it: a proper 4xx "
    "refusal is reported as not supported")
RESPONSES_REASONING_500 = _f("responses_reasoning_500", "`reasoning` on `/responses` crashes the server: 500 (an "
    "upstream's refusal passed on as a crash).", "PARAM-013",
    why="PARAM-013 is a MAY capability: a 5xx fails it, the certification stands")
RESPONSES_SYSTEM_ITEM_REFUSED = _f("responses_system_item_refused",
    "An `input` item with `role: \"system\"` is refused with 400.", "RESP-010")
HUGE_MAX_OUTPUT_TOKENS_REFUSED = _f("huge_max_output_tokens_refused",
    "A `max_output_tokens` above the model's output limit is refused with 400, "
    "not capped.", "RESP-011")
RESPONSES_MISSING_INPUT_500 = _f("responses_missing_input_500",
    "A `/responses` request without `input` crashes the server: 500.", "RESP-014", profiles=BOTH,
    why="RESP-015 judges only a refusal, and a 5xx is none")
# Issue 23: built-in tools are passed through; the upstream's own 4xx about a vector store is fine (RESP-018)
BUILTIN_TOOL_REFUSED = _f("builtin_tool_refused", "A `file_search` tool is refused with 400 \"unsupported tool type "
    "file_search\".", "RESP-018")
BUILTIN_TOOL_500 = _f("builtin_tool_500", "A `file_search` tool crashes the server: 500.", "RESP-018")
# Issue 24, responses: function calls and reasoning, in JSON and streamed; each is a gateway bug reported in public.
RESPONSES_FUNCTION_NO_ID = _f("responses_function_no_id", "`/responses` JSON answers build their function_call items "
    "without an `id` (as NousResearch/hermes-agent#81693 did).", "RESP-019", profiles=BOTH)
RESPONSES_FUNCTION_NO_ITEM_ADDED = _f("responses_function_no_item_added", "A Responses stream sends a function call's "
    "argument events and closes its item, never opening it with `response.output_item.added` (the unopened item of "
    "BerriAI/litellm#37852).", "RESP-STREAM-009", "SDK-011", profiles=BOTH,
    why="the openai SDK has no item to add the arguments to and raises")
RESPONSES_FUNCTION_DELTA_CALL_ID = _f("responses_function_delta_call_id", "A Responses stream's "
    "`function_call_arguments` events name the call by its `call_id` instead of the item's `id` "
    "(Oaklight/llm-rosetta#86).", "RESP-STREAM-010", profiles=BOTH)
RESPONSES_FUNCTION_NO_ARGUMENTS_DONE = _f("responses_function_no_arguments_done", "A Responses stream sends a function "
    "call's argument deltas, then closes the item without `response.function_call_arguments.done` "
    "(tenstorrent/tt-inference-server#3497).", "RESP-STREAM-011", profiles=BOTH)
RESPONSES_FUNCTION_NO_ITEM_DONE = _f("responses_function_no_item_done", "A Responses stream never closes a function call "
    "with `response.output_item.done`, leaving it to the terminal response (anomalyco/opencode#46084).",
    "RESP-STREAM-012", profiles=BOTH)
RESPONSES_FUNCTION_FINAL_OUTPUT_EMPTY = _f("responses_function_final_output_empty", "A Responses stream's terminal "
    "response leaves its function_call items out of `output` (tenstorrent/tt-inference-server#3497).",
    "RESP-STREAM-013", "SDK-011", profiles=BOTH, why="the openai SDK's final response is the terminal event's")
RESPONSES_FUNCTION_OUTPUT_DROPPED = _f("responses_function_output_dropped", "`function_call_output` input items are "
    "dropped on the way, so the call they answer is refused with 400 \"No tool output found for function call\" "
    "(router-for-me/CLIProxyAPI#2368).", "RESP-020", profiles=BOTH)
RESPONSES_REASONING_ITEM_UNOPENED = _f("responses_reasoning_item_unopened", "A Responses stream sends its reasoning "
    "summary events without opening the reasoning item with `response.output_item.added` (maximhq/bifrost#5169).",
    "RESP-STREAM-014", profiles=BOTH)
RESPONSES_REASONING_TOKENS_DROPPED = _f("responses_reasoning_tokens_dropped", "Response usage leaves out "
    "`output_tokens_details`, so no `reasoning_tokens` (anthony-chaudhary/fak#11450).", "RESP-021", profiles=BOTH)
RESPONSES_REASONING_NO_SUMMARY = _f("responses_reasoning_no_summary", "Reasoning items with an empty summary leave "
    "`summary` out (the item newo-ether/Agora#141 sent back, which the next turn refuses).", "RESP-022", "RESP-011",
    profiles=BOTH, why="the probe's answer that carries reasoning also carries the huge limit, which RESP-011 reads "
    "against the Response schema; the crun profile alone asks for RESP-011")
TOOLS_FINISH_REASON_TOOL_USE = _f("tools_finish_reason_tool_use", "A chat answer ending in a tool call says "
    "`finish_reason: \"tool_use\"`, Anthropic's word, untranslated (maximhq/bifrost#617).", "TOOLS-001", "CHAT-017",
    profiles=BOTH, why="the parallel calls under `required` end the same way (CHAT-017)")
TOOLS_USAGE_NULL = _f("tools_usage_null", "`/responses` JSON answers holding a function call have `usage: null` "
    "(songquanpeng/one-api#1794).", "TOOLS-002", profiles=BOTH)
COMPLETIONS_STREAM_IGNORED = _f("completions_stream_ignored",
    "`/completions` ignores `stream: true` and answers a JSON completion.", "COMP-002",
    why="a JSON answer keeps the no-stream promise (COMP-004); only the 4xx refusal (a SHOULD) is missed")
MESSAGES_THINKING_REFUSED = _f("messages_thinking_refused", "`/messages` refuses `thinking` with 400.", "MSG-010",
    declines=("MSG-016", "MSG-017", "MSG-STREAM-011", "SDK-010"), profiles=BOTH,
    why="the thinking checks find thinking declined properly: not supported; MSG-010 fails for the refusal")
MESSAGES_TOOLS_REFUSED = _f("messages_tools_refused", "`/messages` refuses every request with `tools` with 400.",
    "MSG-013", "MSG-015", declines=("CAP-003", "CAP-103", "MSG-014", "MSG-STREAM-009", "MSG-STREAM-010", "SDK-009",
                                     "TOOLS-001..002"),
    profiles=BOTH,
    why="seed 002 promises tools on /messages: a crun MUST (MSG-013, and the round trip MSG-015); the openai profile "
        "keeps tools a capability, declined properly: not supported, and certified; the tool_use format rules are "
        "not supported in both")

# Breaks that only evidence the server produces can catch, whatever the model says (issue 22, suite/evidence.py): each
# is caught with the echo and the terse models as well as the default one (a cut, a stop, a forced tool, input tokens).
CHAT_HISTORY_DROPPED = _f("chat_history_dropped", "Only the system turns and the last message of a chat conversation "
                          "reach the model; the earlier turns are dropped silently.", "CHAT-006", profiles=BOTH)
SYSTEM_DROPPED = _f("system_dropped", "`instructions` and `system` items on `/responses`, and the `system` prompt on "
                    "`/messages`, are accepted and silently dropped.", "RESP-010", "RESP-016", "MSG-010", profiles=BOTH)
FORCED_TOOL_AS_TEXT = _f("forced_tool_as_text", "A forced `tool_choice` is accepted and answered with text, on chat, "
                         "`/responses` and `/messages`.", "CAP-101..103", "RESP-STREAM-009", "SDK-011", profiles=BOTH,
                         why="the forced call streamed on /responses, and through the openai SDK, is text too")
PREVIOUS_RESPONSE_IGNORED = _f("previous_response_ignored", "`previous_response_id` is accepted and ignored: the "
                               "follow-up is answered without the stored response.", "CAP-109", profiles=BOTH)
MESSAGES_STOP_SEQUENCES_IGNORED = _f("messages_stop_sequences_ignored",
                                     "`/messages` `stop_sequences` are validated, then ignored.", "MSG-012", profiles=BOTH)
LIMITS_RAISED = _f("limits_raised", "Every output limit is doubled on its way to the model (`max_tokens`, "
                   "`max_completion_tokens`, `max_output_tokens`, `/messages` `max_tokens`): 8 becomes 16.",
                   "CHAT-003", "CHAT-008", "RESP-004", "MSG-011", profiles=BOTH,
                   why="an answer cut at twice the limit still says it was cut: RESP-005 and RESP-STREAM-008 hold")
STATE_KEPT = _f("state_kept", "The server keeps the chat turns of each API key (what it sent, what it was answered) and "
                "prepends them to every new chat request of that key, so `prompt_tokens` grow.", "CHAT-014", profiles=BOTH)
EVIDENCE_FAULTS = (CHAT_HISTORY_DROPPED, SYSTEM_DROPPED, FORCED_TOOL_AS_TEXT, PREVIOUS_RESPONSE_IGNORED,
                   MESSAGES_STOP_SEQUENCES_IGNORED, LIMITS_RAISED, STREAM_LENGTH_AS_STOP, MESSAGES_STREAM_NO_TEXT,
                   STATE_KEPT)

# Faults that appear only under concurrency (issue 15): thresholds in load_faults.py, above certify's concurrency,
# so certify passes these servers and only `crun-conformance load` finds what they break.
LOAD_USAGE_DROPPED = _f("load_usage_dropped", "Chat streams leave out usage while 56 or more streams are open.", "USAGE-001",
    judged_by="load")
LOAD_503_NO_RETRY_AFTER = _f("load_503_no_retry_after", "Requests get 503 without `Retry-After` while 64 or more are in flight.",
    "AUTH-001", "CHAT-001", "CHAT-004", "CHAT-015", "CHAT-016", "CHAT-STREAM-001..006", "CHAT-STREAM-014",
    "CHAT-STREAM-015", "USAGE-001", "USAGE-003",
    "USAGE-005", judged_by="load",
    why="a 503 is no 2xx: every check of the chat and chat-stream cases fails on it, except 'no key in the body' "
        "and 'no error with a 2xx' (ERR-006), which still hold, and the model echo, which has no answer to read")


def _registry(namespace: dict[str, Any]) -> dict[str, Fault]:
    """Every fault declared above, by name, in declaration order; a constant must be its fault's name in capitals."""
    faults: dict[str, Fault] = {}
    for constant, value in namespace.items():
        if isinstance(value, Fault):
            if constant != value.name.upper() or value.name in faults:
                raise ValueError(f"fault {value.name!r} must be declared once, as {value.name.upper()}")
            faults[value.name] = value
    return faults


FAULTS: dict[str, Fault] = _registry(globals())


def _declared(name: str) -> Fault:
    return FAULTS[name]


class FaultSet(frozenset):
    """The faults a server has switched on. A switch asks with the declared `Fault`; a bare name is refused."""

    def __contains__(self, fault: object) -> bool:
        if not isinstance(fault, Fault):
            raise TypeError(f"a fault switch names a declared Fault of conformance/reference/faults.py, not {fault!r}")
        return super().__contains__(fault)

    @property
    def names(self) -> list[str]:
        return sorted(fault.name for fault in self)


def switched_on(faults: Iterable[Fault | str]) -> FaultSet:
    """The faults named (by their declared constant or their name); an unknown name is refused, never ignored:
    a typo must not give a healthy server."""
    faults = list(faults)
    unknown = sorted(f for f in faults if isinstance(f, str) and f not in FAULTS)
    if unknown:
        raise ValueError(f"unknown fault(s) {', '.join(map(repr, unknown))}; see conformance/reference/faults.py")
    return FaultSet(FAULTS[f] if isinstance(f, str) else f for f in faults)


UNKNOWN_FIELD_SCHEMAS = {
    "/chat/completions": "ChatCompletionRequest",
    "/completions": "CompletionRequest",
    "/responses": "ResponseRequest",
    "/messages": "MessageRequest",
}
GARBAGE = b"\x00\xff\xfe{not json at all \x80\x81\r\n\x1b[2J"
# Faults that let one request field through unchecked: the contract check passes over it as well.
UNCHECKED_FIELDS = {TEMPERATURE_UNCHECKED: "temperature", MESSAGES_MAX_TOKENS_OPTIONAL: "max_tokens",
                    OUT_OF_RANGE_CLAMPED: "messages"}


def crash_on_unknown_field(endpoint: str, body: dict[str, Any]) -> None:
    """`unknown_field_500`: fail like a server that chokes on a field the contract does not define.

    `endpoint` is the path below the prefix, e.g. `/chat/completions`.
    """
    unknown = unknown_fields(endpoint, body)
    if unknown:
        raise Crash(f"unexpected field {unknown[0]!r}")


def unknown_fields(endpoint: str, body: dict[str, Any]) -> list[str]:
    """The top-level fields of a request body that the contract's request schema does not define, sorted."""
    name = UNKNOWN_FIELD_SCHEMAS.get(endpoint)
    known = set(document()["components"]["schemas"][name]["properties"]) if name else set(body)
    return sorted(set(body) - known)


def beyond_bound(param: str, below: bool, faults: frozenset[Fault]) -> Fault | None:
    """The issue-23 fault switched on for a value beyond one of `param`'s bounds (`below`: its lower one), if any."""
    side = UNSENT_BOUNDS.get(param)
    if side is None or side != "both" and side != ("low" if below else "high"):
        return None
    return next((fault for fault in (OUT_OF_RANGE_500, OUT_OF_RANGE_CLAMPED) if fault in faults), None)


def upstream_name(model_id: str) -> str:
    """`model_upstream_name`: the dated upstream name a careless gateway answers with instead of the public id."""
    return f"{model_id}-2026-03-01"


def unchecked_fields(faults: frozenset[Fault]) -> frozenset[str]:
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
    turns = body.get("messages") if isinstance(body.get("messages"), list) else []
    parts = [p for m in turns if isinstance(m, dict) and isinstance(m.get("content"), list) for p in m["content"]]
    if any(isinstance(p, dict) and p.get("type") in ("image_url", "file") for p in parts):
        return "messages"
    return None


def strip_capabilities(body: dict[str, Any]) -> None:
    """`capabilities_broken`, for tools and structured output: drop them and answer as if never asked."""
    for name in ("tools", "tool_choice", "response_format", "text"):
        body.pop(name, None)


def raised(limit: int | None, faults: frozenset[Fault]) -> int | None:
    """`limits_raised`: the output limit a careless gateway passes on, twice the one asked for."""
    return limit * 2 if limit is not None and LIMITS_RAISED in faults else limit


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

"""Every case of the suite, in one declarative list: what is sent, and which checks judge the answer.

Read it like the API docs: each entry is one request (or a short conversation)
and the requirements its answer is held to. One request serves many checks,
which keeps a live certification to a few dozen billed calls.
"""

from __future__ import annotations

from dataclasses import replace
from fnmatch import fnmatchcase

from ..catalogue.requirements import ALL, CHAT, COMPLETIONS, MESSAGES, MODELS, RESPONSES
from . import auth, bodies, chat, errors, models, params, sdk, usage
from . import builtin_tools as builtin
from . import capabilities as cap
from . import chat_stream as cs
from . import chat_tools as tools
from . import completions as comp
from . import conversations as conv
from . import evidence as ev
from . import input_forms as inputs
from . import messages as msg
from . import messages_stream as ms
from . import messages_thinking as thinking
from . import messages_tools as msgt
from . import model_echo as echo
from . import parameters_accepted as accepted
from . import responses as resp
from . import responses_stream as rs
from . import responses_tools as rt
from . import tools_formats as tf
from .bodies import PATHS, UNKNOWN_MODEL
from .case import Case, send


def post(endpoint: str, body) -> tuple:
    return (send("POST", PATHS[endpoint], body),)


def _slug(endpoint: str) -> str:
    return PATHS[endpoint].strip("/").replace("/", "_")


def _auth_cases() -> list[Case]:
    """Each endpoint with the key in X-API-KEY (a real, minimal request: GET /models, or one that generates a few
    tokens), with no key, with a wrong Bearer key, and with a wrong key in X-API-KEY."""
    out = []
    for endpoint in ALL:
        method = endpoint.split(" ", 1)[0]
        for mode, first in (("x-api-key", auth.x_api_key_accepted), ("none", auth.missing_key_refused),
                            ("wrong-bearer", auth.wrong_key_refused), ("wrong-x-api-key", auth.wrong_x_api_key_refused)):
            out.append(Case(f"auth_{mode.replace('-', '_')}_{_slug(endpoint)}", endpoint,
                            steps=(send(method, PATHS[endpoint], bodies.minimal(endpoint), auth=mode),),
                            checks=(first, auth.key_not_echoed), per_model=False))
    return out


def _unknown_model_cases() -> list[Case]:
    out = []
    for endpoint, build in bodies.BODIES.items():
        codes = (errors.model_not_found_code,) if endpoint in (CHAT, RESPONSES) else ()  # only their pages promise it
        out.append(Case(f"unknown_model_{_slug(endpoint)}", endpoint,
                        steps=post(endpoint, lambda ctx, b=build: {**b(ctx), "model": UNKNOWN_MODEL}),
                        checks=(errors.unknown_model_4xx, errors.unknown_model_404, *codes, errors.error_body_format),
                        per_model=False))
        if endpoint != COMPLETIONS:
            out.append(Case(f"unknown_model_stream_{_slug(endpoint)}", endpoint,
                            steps=post(endpoint, lambda ctx, b=build: {**b(ctx), "model": UNKNOWN_MODEL, "stream": True}),
                            checks=(errors.unknown_model_no_stream, *codes), per_model=False))
    return out


def _bad_parameter(name: str, endpoint: str, body, field: str | None, per_model: bool = True) -> Case:
    """One request with one bad value: no 5xx (MUST), refused (SHOULD) as an OpenAI error (MUST) naming `field` in a
    400 (SHOULD; None: not asked, where a 404 `model_not_found` is as fair an answer)."""
    names = (params.names_param(field),) if field is not None else ()
    return Case(f"bad_param_{name}", endpoint, steps=post(endpoint, body), per_model=per_model,
                checks=(params.refused_not_crashed, params.refused, params.refusal_is_openai_error, *names))


LONG_MODEL_ID = ("crun-conformance-model-id-" + "x" * 128)[:129]  # one character beyond the documented 1-128


PARAMETER_CASES = [
    _bad_parameter("temperature_3", CHAT, lambda ctx: bodies.chat(ctx, temperature=3), "temperature"),
    _bad_parameter("top_p_1_5", CHAT, lambda ctx: bodies.chat(ctx, top_p=1.5), "top_p"),
    _bad_parameter("n_9", CHAT, lambda ctx: bodies.chat(ctx, n=9), "n"),
    _bad_parameter("max_tokens_0", CHAT, lambda ctx: bodies.chat(ctx, max_tokens=0), "max_tokens"),
    _bad_parameter("missing_messages", CHAT, lambda ctx: {"model": ctx.model, "max_tokens": 8}, "messages"),
    _bad_parameter("missing_prompt", COMPLETIONS, lambda ctx: {"model": ctx.model, "max_tokens": 8}, "prompt"),
    Case("bad_param_malformed_json", CHAT,
         steps=(send("POST", "/chat/completions", raw_body=b'{"model": "x", "messages": [}'),),
         checks=(params.refused_not_crashed, params.refused, params.refusal_is_openai_error, params.names_param(None)),
         per_model=False),
    # Issue 23: the other documented bounds, one value beyond one bound per request, so a crash names its field.
    _bad_parameter("empty_messages", CHAT, lambda ctx: bodies.chat(ctx, messages=[]), "messages"),
    _bad_parameter("max_completion_tokens_0", CHAT, lambda ctx: {
        "model": ctx.model, "messages": [{"role": "user", "content": bodies.PROMPT}], "max_completion_tokens": 0},
        "max_completion_tokens"),
    _bad_parameter("model_empty", CHAT, lambda ctx: bodies.chat(ctx, model=""), None, per_model=False),
    _bad_parameter("model_129", RESPONSES, lambda ctx: bodies.response(ctx, model=LONG_MODEL_ID), None, per_model=False),
    _bad_parameter("n_0", CHAT, lambda ctx: bodies.chat(ctx, n=0), "n"),
    _bad_parameter("responses_max_output_tokens_0", RESPONSES, lambda ctx: bodies.response(ctx, max_output_tokens=0),
                   "max_output_tokens"),
    _bad_parameter("stop_5", CHAT, lambda ctx: bodies.chat(ctx, stop=["###", "END", "STOP", "DONE", "FIN"]), "stop"),
    _bad_parameter("presence_penalty_2_5", CHAT, lambda ctx: bodies.chat(ctx, presence_penalty=2.5), "presence_penalty"),
    _bad_parameter("top_logprobs_21", CHAT, lambda ctx: bodies.chat(ctx, logprobs=True, top_logprobs=21),
                   "top_logprobs"),
]

WEATHER_TOOL_CHAT = {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city.",
                                                      "parameters": cap.WEATHER_PARAMETERS}}
WEATHER_TOOL_RESPONSES = cap.WEATHER_TOOL_RESPONSES
WEATHER_TOOL_MESSAGES = {"name": "get_weather", "description": "Current weather in a city.",
                         "input_schema": cap.WEATHER_PARAMETERS}
WEATHER_QUESTION = cap.WEATHER_QUESTION
TASK_PROMPT = "Extract a task from: Maya should send the launch brief by Friday."



CAPABILITY_CASES = [
    Case("cap_chat_tools", CHAT, checks=(cap.chat_tools, cap.chat_tools_honoured, accepted.chat_tools_accepted,
                                         tf.chat_call_ends_with_tool_calls, tf.chat_call_counted),
         steps=post(CHAT, lambda ctx: {
        **bodies.chat(ctx, max_tokens=64), "messages": [{"role": "user", "content": WEATHER_QUESTION}],
        "tools": [WEATHER_TOOL_CHAT], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}})),
    Case("cap_responses_tools", RESPONSES, checks=(cap.responses_tools, cap.responses_tools_honoured,
                                                   accepted.responses_tools_accepted, rt.function_call_items,
                                                   tf.responses_call_completed, tf.responses_call_counted),
         steps=post(RESPONSES, lambda ctx: {
        **bodies.response(ctx, max_output_tokens=64), "input": WEATHER_QUESTION, "tools": [WEATHER_TOOL_RESPONSES],
        "tool_choice": {"type": "function", "name": "get_weather"}})),
    # Issue 24: the same forced call streamed as an agent's turn (with reasoning), then its round trip; see
    # responses_tools.py for the second request.
    Case("responses_stream_function_call", RESPONSES, steps=rt.function_call_steps(lambda ctx: {
        **bodies.response(ctx, max_output_tokens=rt.STREAM_LIMIT), "input": WEATHER_QUESTION,
        "tools": [WEATHER_TOOL_RESPONSES], "tool_choice": cap.FORCED_WEATHER_RESPONSES}),
         checks=(*map(rt.on_function_stream, (rs.responses_stream_content_type, rs.responses_events_valid,
                                              rs.created_first, rs.terminal_last, rs.sequence_increasing,
                                              rs.event_name_matches_type)),
                 rt.function_call_announced, rt.argument_events_name_their_item, rt.arguments_done_whole,
                 rt.function_call_closed, rt.final_response_holds_calls, rt.streamed_function_call_items,
                 rt.reasoning_events_coherent, rt.streamed_reasoning_tokens_counted, rt.streamed_reasoning_items,
                 rt.round_trip_answered)),
    Case("cap_messages_tools", MESSAGES, checks=(cap.messages_tools, cap.messages_tools_honoured,
                                                 accepted.messages_tools_accepted, msgt.tool_use_stop_reason,
                                                 tf.messages_call_ends_with_tool_use, tf.messages_call_counted),
         steps=post(MESSAGES, lambda ctx: {
        **bodies.message(ctx, max_tokens=64), "messages": [{"role": "user", "content": WEATHER_QUESTION}],
        "tools": [WEATHER_TOOL_MESSAGES], "tool_choice": {"type": "tool", "name": "get_weather"}})),
    Case("cap_chat_json_object", CHAT, checks=(cap.chat_json_object, cap.chat_json_object_honoured,
                                               accepted.chat_json_object_accepted), steps=post(CHAT, lambda ctx: {
        **bodies.chat(ctx, max_tokens=64), "response_format": {"type": "json_object"},
        "messages": [{"role": "user", "content": 'Reply with a JSON object like {"word": "..."}.'}]})),
    Case("cap_chat_json_schema", CHAT, checks=(cap.chat_json_schema, cap.chat_json_schema_honoured),
         steps=post(CHAT, lambda ctx: {
        **bodies.chat(ctx, max_tokens=64), "messages": [{"role": "user", "content": TASK_PROMPT}],
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "task", "strict": True, "schema": cap.TASK_SCHEMA}}})),
    Case("cap_responses_json_schema", RESPONSES, checks=(cap.responses_json_schema, cap.responses_json_schema_honoured,
                                                         accepted.text_format_accepted),
         steps=post(RESPONSES, lambda ctx: {
        **bodies.response(ctx, max_output_tokens=64), "input": TASK_PROMPT,
        "text": {"format": {"type": "json_schema", "name": "task", "strict": True, "schema": cap.TASK_SCHEMA}}})),
    Case("cap_stored_follow_up", RESPONSES, checks=(cap.stored_follow_up, cap.stored_follow_up_honoured),
         steps=(send("POST", "/responses", lambda ctx: bodies.response(ctx, store=True)),
                cap.stored_follow_up_request)),
]

def _bad_message(name: str, body=None, raw: bytes | None = None) -> Case:
    """A /messages request with one bad parameter, judged in Anthropic's error shape."""
    step = send("POST", "/messages", raw_body=raw) if raw is not None else send("POST", "/messages", body)
    return Case(f"bad_param_messages_{name}", MESSAGES, steps=(step,),
                checks=(params.refused_not_crashed, msg.bad_parameter_refused), per_model=raw is None)


# Issue 10: cut answers say so, /messages and /responses refuse bad parameters.
VERDICT_CASES = [
    Case("responses_stream_cut", RESPONSES, checks=(rs.responses_events_valid, rs.terminal_last, rs.cut_stream_incomplete,
                                                    resp.stream_max_output_tokens_respected),
         steps=post(RESPONSES, lambda ctx: {**bodies.response(ctx, max_output_tokens=resp.LIMIT, stream=True),
                                            "input": resp.LONG_ANSWER})),
    _bad_message("missing_messages", lambda ctx: {"model": ctx.messages_model, "max_tokens": bodies.MAX_TOKENS}),
    _bad_message("temperature_1_5", lambda ctx: bodies.message(ctx, temperature=1.5)),
    _bad_message("malformed_json", raw=b'{"model": "x", "max_tokens": 8, "messages": [}'),
    _bad_parameter("responses_temperature_3", RESPONSES, lambda ctx: bodies.response(ctx, temperature=3), "temperature"),
    _bad_parameter("responses_top_p_1_5", RESPONSES, lambda ctx: bodies.response(ctx, top_p=1.5), "top_p"),
]

# The happy path a real client walks and the promises the pages make (issue 11). Optional parameters of one
# endpoint go together in one request; one request per requirement only when that request is refused (see probe.py).
PROMISE_CASES = [
    # One question alone, then with each context a client adds to it: history, an image. Each shows in prompt_tokens.
    # Then the question alone again: the prompt_tokens of the first time, and no code word from the history.
    Case("chat_context", CHAT, checks=(conv.conversation_answered, cap.chat_image_input, cap.chat_image_input_honoured,
                                       conv.no_state_kept),
         steps=tuple(send("POST", "/chat/completions", lambda ctx, m=messages: {**bodies.chat(ctx), "messages": m})
                     for messages in ([conv.QUESTION], conv.HISTORY, [{"role": "user", "content": [
                         {"type": "text", "text": conv.QUESTION["content"]},
                         {"type": "image_url", "image_url": {"url": cap.PIXEL_PNG}}]}], [conv.QUESTION]))),
    Case("chat_tool_round_trip", CHAT, checks=(conv.tool_result_answered,), steps=post(CHAT, lambda ctx: {
        **bodies.chat(ctx), "messages": conv.tool_round_trip(WEATHER_QUESTION), "tools": [WEATHER_TOOL_CHAT],
        "tool_choice": "auto"})),
    Case("chat_max_completion_tokens_cut", CHAT, checks=(accepted.max_completion_tokens_cuts,), steps=post(CHAT, lambda ctx: {
        "model": ctx.model, "messages": [{"role": "user", "content": ev.REPEAT_PASSAGE}],
        "max_completion_tokens": ev.CUT_LIMIT})),
    Case("chat_parameters", CHAT, steps=accepted.CHAT_PROBE.steps(), checks=(
        accepted.CHAT_PROBE.accepted("PARAM-010", primary=True), accepted.CHAT_PROBE.accepted("PARAM-011"),
        accepted.CHAT_PROBE.accepted("CHAT-009", honoured=accepted.huge_max_completion_tokens_capped),
        accepted.stop_sequences_end_the_text, accepted.logprobs_returned)),
    Case("chat_stop_string", CHAT, steps=accepted.STOP_STRING_PROBE.steps(), checks=(
        accepted.STOP_STRING_PROBE.accepted("PARAM-010", primary=True), accepted.stop_sequences_end_the_text)),
    Case("responses_parameters", RESPONSES, steps=accepted.RESPONSES_PROBE.steps(), checks=(
        accepted.RESPONSES_PROBE.accepted("PARAM-012", primary=True), accepted.RESPONSES_PROBE.accepted("PARAM-011"),
        accepted.RESPONSES_PROBE.accepted("PARAM-013", declinable=True),
        accepted.RESPONSES_PROBE.accepted("RESP-011", honoured=accepted.huge_max_output_tokens_capped),
        rt.reasoning_tokens_counted, rt.reasoning_items)),
    # One question alone, then with each context a client adds to it: a system item, instructions, an image, a file, a
    # file by URL. Each shows in input_tokens, against the one baseline.
    Case("responses_context", RESPONSES, checks=(
        inputs.message_items_answered, inputs.instructions_carried, cap.image_input, cap.image_input_honoured,
        cap.file_input, cap.file_input_honoured, cap.file_url_input, cap.file_url_input_honoured),
         steps=tuple(send("POST", "/responses", lambda ctx, f=fields: {**bodies.response(ctx), **f}) for fields in (
             {"input": inputs.QUESTION}, {"input": inputs.MESSAGE_ITEMS},
             {"input": inputs.QUESTION, "instructions": inputs.INSTRUCTIONS},
             {"input": inputs.with_part({"type": "input_image", "image_url": cap.PIXEL_PNG})},
             {"input": inputs.with_part({"type": "input_file", "filename": "hello.pdf", "file_data": cap.HELLO_PDF})},
             {"input": inputs.with_part({"type": "input_file", "file_url": cap.SMALL_PDF_URL})}))),
    Case("responses_missing_input", RESPONSES, checks=(inputs.missing_input_no_server_error, inputs.missing_input_refused),
         steps=post(RESPONSES, lambda ctx: {"model": ctx.model, "max_output_tokens": 16})),
    # Issue 23: seed 001's file_search example, with a vector store that cannot exist; the rule in builtin_tools.py.
    Case("responses_builtin_tool", RESPONSES, checks=(builtin.builtin_tool_passed_through,),
         steps=post(RESPONSES, lambda ctx: {**bodies.response(ctx), "input": builtin.QUESTION,
                                            "tools": [builtin.FILE_SEARCH], "tool_choice": "auto"})),
    # The probe's request asks for thinking: then it is streamed, and its streamed content goes back in a second turn
    # (issue 24, messages_thinking.py).
    Case("messages_parameters", MESSAGES, steps=(*accepted.MESSAGES_PROBE.steps(), accepted.messages_baseline,
                                                 thinking.stream_request, thinking.second_turn_request),
         checks=(accepted.MESSAGES_PROBE.accepted("MSG-010", primary=True, honoured=accepted.system_carried),
                 thinking.thinking_signed, thinking.thinking_streamed, thinking.thinking_sent_back,
                 *ms.optional_checks(thinking.WHAT), sdk.anthropic_stream_thinking)),
]

# Issue 22: caps and stop sequences judged on requests any model answers past the limit or up to the stop, an echo's
# included (a passage to repeat), on every endpoint, in JSON and in streams.
EVIDENCE_CASES = [
    Case("messages_max_tokens_cut", MESSAGES, checks=(msg.max_tokens_caps,), steps=post(MESSAGES, lambda ctx: {
        **bodies.message(ctx, max_tokens=ev.CUT_LIMIT), "messages": [{"role": "user", "content": ev.REPEAT_PASSAGE}]})),
    Case("messages_stream_cut", MESSAGES, checks=(msg.stream_max_tokens_caps,), steps=post(MESSAGES, lambda ctx: {
        **bodies.message(ctx, max_tokens=ev.CUT_LIMIT, stream=True),
        "messages": [{"role": "user", "content": ev.REPEAT_PASSAGE}]})),
    Case("messages_stop_sequences", MESSAGES, checks=(msg.stop_sequence_ends_the_text,), steps=post(MESSAGES, lambda ctx: {
        **bodies.message(ctx, stop_sequences=[ev.STOP]), "messages": [{"role": "user", "content": ev.REPEAT_STOP_LINE}]})),
]

# Issue 24: a forced tool streamed, and a tool's result sent back (messages_tools.py).
MESSAGES_TOOL_CASES = [
    Case("messages_stream_tool", MESSAGES, steps=post(MESSAGES, lambda ctx: {
        **bodies.message(ctx, max_tokens=64, stream=True), "messages": [{"role": "user", "content": WEATHER_QUESTION}],
        "tools": [WEATHER_TOOL_MESSAGES], "tool_choice": {"type": "tool", "name": "get_weather"}}),
         checks=(*ms.optional_checks(msgt.TOOLS), msgt.stream_tool_use_stop_reason, msgt.stream_tool_input,
                 cap.messages_stream_tools_honoured, sdk.anthropic_stream_tool_use)),
    Case("messages_tool_round_trip", MESSAGES, checks=(msgt.tool_result_answered,), steps=post(MESSAGES, lambda ctx: {
        **bodies.message(ctx), "messages": msgt.tool_round_trip(WEATHER_QUESTION), "tools": [WEATHER_TOOL_MESSAGES],
        "tool_choice": {"type": "auto"}})),
]

# Issue 24: tool calls in chat answers, JSON and streamed, in OpenAI's wire format (chat_tools.py). The forced call in
# JSON is cap_chat_tools'; here `required` with two tools (its JSON answer, then its stream), the round trip streamed
# with the function forced again, and the openai SDK's stream helper on the `required` request.
TOOL_STREAM_CHECKS = (tools.tool_fragments_indexed, tools.tool_call_first_fragment_names_it, tools.tool_arguments_join_once,
                      tools.tool_index_names_one_call, *map(tools.on_tool_stream, (
                          cs.chunks_valid, cs.done_is_last, cs.one_finish_reason_per_choice, cs.first_delta_has_role,
                          cs.empty_choices_only_for_usage, cs.finish_chunk_last_of_its_choice)))
TOOL_CALL_CASES = [
    Case("chat_stream_tools_parallel", CHAT, steps=(send("POST", PATHS[CHAT], tools.parallel_request),
                                                    send("POST", PATHS[CHAT], tools.parallel_stream_request)),
         checks=(accepted.chat_tools_accepted, tools.json_tool_calls_well_formed, tools.finish_tool_calls,
                 *TOOL_STREAM_CHECKS, tools.stream_calls_match_json)),
    Case("chat_stream_tool_round_trip", CHAT, steps=post(CHAT, tools.round_trip_stream_request),
         checks=(accepted.chat_tools_accepted, conv.tool_result_answered_streamed, tools.forced_call_streamed,
                 tools.forced_finish_tool_calls, *TOOL_STREAM_CHECKS, tools.on_tool_stream(usage.usage_not_sent_when_declined))),
    Case("sdk_sdk_007", CHAT, checks=(sdk.openai_chat_tool_stream, sdk.openai_chat_tool_stream_calls),
         perform=sdk.probe("chat.completions.stream"), streams=True),
]

SDK_CASES = [
    Case(f"sdk_{requirement.requirement.lower().replace('-', '_')}", endpoint, checks=(requirement,),
         perform=sdk.probe(operation), streams="stream" in operation)
    for requirement, endpoint, operation in (
        (sdk.openai_chat, CHAT, "chat.completions.create"),
        (sdk.openai_chat_stream, CHAT, "chat.completions.create(stream=True)"),
        (sdk.openai_response, RESPONSES, "responses.create"),
        (sdk.openai_response_stream, RESPONSES, "responses.stream"),
        (sdk.openai_response_stream_function_call, RESPONSES, "responses.stream(tools)"),
        (sdk.anthropic_message, MESSAGES, "messages.create"),
        (sdk.anthropic_message_stream, MESSAGES, "messages.stream"),
    )
]

CASES: list[Case] = [
    Case("models_list", MODELS, steps=(send("GET", "/models"),), per_model=False,
         checks=(auth.bearer_accepted, auth.key_not_echoed, models.model_list_shape, models.models_under_test_listed)),
    *_auth_cases(),
    Case("chat_basic", CHAT, steps=post(CHAT, bodies.chat),
         checks=(auth.bearer_accepted, auth.key_not_echoed, chat.chat_completion_shape, chat.chat_usage_adds_up,
                 chat.created_in_seconds, chat.defaults_one_answer, echo.model_echoed)),
    Case("chat_n_2", CHAT, steps=post(CHAT, lambda ctx: bodies.chat(ctx, n=2, max_tokens=8)), checks=(chat.n_choices,)),
    Case("chat_max_tokens_cut", CHAT, steps=post(CHAT, lambda ctx: {
        **bodies.chat(ctx, max_tokens=ev.CUT_LIMIT), "messages": [{"role": "user", "content": ev.REPEAT_PASSAGE}]}),
         checks=(chat.max_tokens_cuts,)),
    Case("chat_max_tokens_huge", CHAT, checks=(chat.huge_max_tokens_capped,), steps=post(CHAT, lambda ctx: {
        **bodies.chat(ctx), "max_tokens": chat.HUGE_MAX_TOKENS, "messages": [{"role": "user", "content": "Say ok."}]})),
    Case("chat_stream_default_usage", CHAT, steps=post(CHAT, lambda ctx: bodies.chat(ctx, stream=True)),
         checks=(cs.stream_content_type, cs.events_are_json_or_done, cs.done_is_last, cs.chunks_valid,
                 cs.one_finish_reason_per_choice, cs.first_delta_has_role, cs.one_stable_id,
                 usage.usage_sent_automatically, usage.stream_usage_consistent, usage.usage_chunk_last,
                 cs.chunks_created_in_seconds, echo.model_echoed, cs.empty_choices_only_for_usage,
                 cs.finish_chunk_last_of_its_choice)),
    Case("chat_stream_include_usage", CHAT, steps=post(CHAT, lambda ctx: {
        **bodies.chat(ctx, stream=True, stream_options={"include_usage": True}, max_tokens=ev.CUT_LIMIT),
        "messages": [{"role": "user", "content": ev.REPEAT_PASSAGE}]}),
         checks=(usage.usage_sent_when_asked, usage.stream_usage_consistent, usage.usage_chunk_has_no_choices,
                 usage.usage_chunk_last, chat.stream_max_tokens_caps, chat.stream_cut_says_length,
                 cs.empty_choices_only_for_usage, cs.finish_chunk_last_of_its_choice)),
    Case("chat_stream_usage_declined", CHAT, checks=(usage.usage_not_sent_when_declined, cs.empty_choices_only_for_usage,
                                                     cs.finish_chunk_last_of_its_choice), steps=post(CHAT, lambda ctx: (
        bodies.chat(ctx, stream=True, stream_options={"include_usage": False}, max_tokens=8)))),
    Case("completions_basic", COMPLETIONS, steps=post(COMPLETIONS, bodies.completion),
         checks=(auth.bearer_accepted, auth.key_not_echoed, comp.text_completion_shape, chat.created_in_seconds,
                 echo.model_echoed)),
    Case("completions_stream_refused", COMPLETIONS, steps=post(COMPLETIONS, lambda ctx: bodies.completion(ctx, stream=True)),
         checks=(comp.stream_refused, comp.stream_no_server_error, comp.stream_not_streamed)),
    Case("responses_basic", RESPONSES, steps=post(RESPONSES, lambda ctx: bodies.response(
        ctx, instructions="You are a concise assistant.")),
         checks=(auth.bearer_accepted, auth.key_not_echoed, resp.response_shape, resp.output_text_convenience,
                 resp.response_usage_adds_up, resp.created_at_in_seconds, echo.model_echoed)),
    Case("responses_max_output_tokens", RESPONSES,
         steps=post(RESPONSES, lambda ctx: {**bodies.response(ctx, max_output_tokens=resp.LIMIT),
                                            "input": resp.LONG_ANSWER}),
         checks=(resp.max_output_tokens_respected, resp.cut_answer_incomplete)),
    Case("responses_stream", RESPONSES, steps=post(RESPONSES, lambda ctx: bodies.response(ctx, stream=True)),
         checks=(rs.responses_stream_content_type, rs.responses_events_valid, rs.created_first, rs.terminal_last,
                 rs.sequence_increasing, rs.event_name_matches_type, rs.deltas_add_up, echo.model_echoed)),
    Case("messages_basic", MESSAGES, steps=post(MESSAGES, lambda ctx: bodies.message(
        ctx, system="You are a concise assistant.")),
         checks=(auth.bearer_accepted, auth.key_not_echoed, msg.message_shape, echo.model_echoed)),
    Case("messages_missing_max_tokens", MESSAGES, checks=(msg.max_tokens_required,), steps=post(MESSAGES, lambda ctx: {
        "model": ctx.messages_model, "messages": [{"role": "user", "content": bodies.PROMPT}]})),
    Case("messages_stream", MESSAGES, steps=post(MESSAGES, lambda ctx: bodies.message(ctx, stream=True)),
         checks=(ms.messages_stream_content_type, ms.messages_events_valid, ms.events_in_order,
                 ms.message_delta_complete, ms.messages_event_names, ms.no_done_marker, ms.text_carried,
                 ms.message_start_snapshot, echo.model_echoed)),
    *_unknown_model_cases(),
    *PARAMETER_CASES,
    *CAPABILITY_CASES,
    *VERDICT_CASES,
    *PROMISE_CASES,
    *EVIDENCE_CASES,
    *MESSAGES_TOOL_CASES,
    *TOOL_CALL_CASES,
    *SDK_CASES,
]

# Issue 24: an error with a 2xx status is a failure on every endpoint (ERR-006), judged on every answer where a refusal
# is expected and on the basic answers, streamed or not.
ERROR_WITH_2XX_JUDGED = ("models_list", "auth_none_*", "auth_wrong_*", "unknown_model_*", "bad_param_*", "chat_basic",
                         "chat_stream_default_usage", "completions_basic", "completions_stream_refused",
                         "responses_basic", "responses_stream", "responses_missing_input", "messages_basic",
                         "messages_stream", "messages_missing_max_tokens")
CASES = [replace(case, checks=(*case.checks, errors.no_error_with_2xx))
         if any(fnmatchcase(case.id, pattern) for pattern in ERROR_WITH_2XX_JUDGED) else case for case in CASES]

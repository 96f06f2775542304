"""SDK: the official openai and anthropic clients, changed only in base URL and key, read what the target sends.

These probes talk through the SDKs themselves, so they are the one part of the
suite that is not a pure function of a recorded exchange. Both SDKs send with
httpx2, which vcrpy (9.4 and later) records and replays like httpx: a replay
runs the SDK against its cassette.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..wire.exchange import Exchange
from ..wire.target import Caller, retry_after
from .bodies import MAX_OUTPUT_TOKENS, MAX_TOKENS, PROMPT
from .capabilities import FORCED_WEATHER_RESPONSES, WEATHER_QUESTION, WEATHER_TOOL_RESPONSES, supported
from .case import Context, Failed, NotJudged, check
from .chat_tools import TOOL_NAMES, parallel_stream_request
from .expect import arguments_problem, show
from .messages_blocks import streamed_blocks
from .messages_stream import optional_stream, streamed
from .messages_thinking import WHAT
from .messages_tools import TOOLS, tool_blocks

if TYPE_CHECKING:
    from ..wire.recorder import RecordingTransport

SDK_PACKAGES = ("openai", "anthropic")
FORCED_CALL_TOKENS = 64  # as the capability probes allow a forced call


@dataclass
class SdkResult:
    """What one SDK call gave: a parsed value, or the exception it raised, and the HTTP exchanges it made."""

    operation: str
    value: Any = None
    error: BaseException | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    rate_limited: bool = False  # still rate-limited after the caller's retries: nothing to judge


def import_sdks() -> None:
    """Import both SDKs (about 2 s of CPU): the session does it in the background while the other cases run."""
    import anthropic  # noqa: F401
    import openai  # noqa: F401


def _recorder(ctx: Context) -> RecordingTransport:
    from ..wire.recorder import RecordingTransport  # httpx2, like the SDKs, only for a run with SDK cases

    return RecordingTransport(ctx.target.base_url, secrets=(ctx.target.api_key,))


def _openai(ctx: Context, transport: RecordingTransport):
    import openai

    http = openai.DefaultHttpx2Client(transport=transport, timeout=ctx.target.timeout_s)
    return openai.OpenAI(base_url=ctx.target.base_url, api_key=ctx.target.api_key, max_retries=0,
                         timeout=ctx.target.timeout_s, http_client=http)


def _anthropic(ctx: Context, transport: RecordingTransport):
    import anthropic

    # The Anthropic SDK appends /v1/messages to its base URL; CRUN's base already ends in the version.
    base = ctx.target.base_url.removesuffix("/v1")
    http = anthropic.DefaultHttpxClient(transport=transport, timeout=ctx.target.timeout_s)
    return anthropic.Anthropic(base_url=base, api_key=ctx.target.api_key, max_retries=0,
                               timeout=ctx.target.timeout_s, http_client=http)


def _chat(client, ctx: Context):
    return client.chat.completions.create(model=ctx.model, max_tokens=MAX_TOKENS,
                                          messages=[{"role": "user", "content": PROMPT}])


def _chat_stream(client, ctx: Context):
    with client.chat.completions.create(model=ctx.model, max_tokens=MAX_TOKENS, stream=True,
                                        messages=[{"role": "user", "content": PROMPT}]) as stream:
        return list(stream)


def _chat_tool_stream(client, ctx: Context):
    """The parallel tool request streamed through the helper that assembles tool calls (it sets `stream` itself)."""
    request = {key: value for key, value in parallel_stream_request(ctx).items() if key != "stream"}
    with client.chat.completions.stream(**request) as stream:
        for _ in stream:
            pass
        return stream.get_final_completion()


def _response(client, ctx: Context):
    return client.responses.create(model=ctx.model, input=PROMPT, max_output_tokens=MAX_OUTPUT_TOKENS)


def _response_stream(client, ctx: Context):
    with client.responses.stream(model=ctx.model, input=PROMPT, max_output_tokens=MAX_OUTPUT_TOKENS) as stream:
        for _ in stream:
            pass
        return stream.get_final_response()


def _response_stream_function_call(client, ctx: Context):
    with client.responses.stream(model=ctx.model, input=WEATHER_QUESTION, tools=[WEATHER_TOOL_RESPONSES],
                                 tool_choice=FORCED_WEATHER_RESPONSES, max_output_tokens=FORCED_CALL_TOKENS) as stream:
        for _ in stream:
            pass
        return stream.get_final_response()


def _message(client, ctx: Context):
    return client.messages.create(model=ctx.messages_model, max_tokens=MAX_TOKENS,
                                  messages=[{"role": "user", "content": PROMPT}])


def _message_stream(client, ctx: Context):
    with client.messages.stream(model=ctx.messages_model, max_tokens=MAX_TOKENS,
                                messages=[{"role": "user", "content": PROMPT}]) as stream:
        return stream.get_final_message()


def _tokens(value: Any) -> tuple[int, int]:
    usage = getattr(value, "usage", None)
    if usage is None and isinstance(value, list):
        usage = next((c.usage for c in reversed(value) if getattr(c, "usage", None)), None)
    inp = getattr(usage, "input_tokens", None) or getattr(usage, "prompt_tokens", None) or 0
    out = getattr(usage, "output_tokens", None) or getattr(usage, "completion_tokens", None) or 0
    return (inp, out) if isinstance(inp, int) and isinstance(out, int) else (0, 0)


def _within_deadline(call: Callable[[], Any], client: Any, deadline_s: float) -> Any:
    """Run an SDK call under one overall deadline: its own timeout is per read, which an endless stream never trips."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=work, name="conformance-sdk", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if worker.is_alive():
        client.close()
        raise TimeoutError(f"deadline of {deadline_s:g} s exceeded; the SDK call was abandoned")
    if "error" in box:
        raise box["error"]
    return box["value"]


def probe(operation: str) -> Callable[[Caller, Context], list[Exchange | SdkResult]]:
    """A case's `perform`: make one SDK call within the deadline, count its cost, keep its value or its exception.

    It returns the HTTP exchanges the SDK made, then the SdkResult: checks judge
    the last item, and a failure's evidence is rendered from the Exchanges,
    as for any other case.
    """
    make_client, call = OPERATIONS[operation]

    def attempt(caller: Caller, ctx: Context, remaining: float) -> SdkResult:
        transport = _recorder(ctx)
        client = make_client(ctx, transport)
        result = SdkResult(operation)
        try:
            result.value = _within_deadline(lambda: call(client, ctx), client, remaining)
        except Exception as exc:  # the SDK's own exception is the finding
            result.error = exc
        finally:
            client.close()
        caller.cost.add(1, *(_tokens(result.value) if result.error is None else (0, 0)))
        result.exchanges = transport.exchanges()
        return result

    def perform(caller: Caller, ctx: Context) -> list[Exchange | SdkResult]:
        result = caller.with_retries(lambda remaining: attempt(caller, ctx, remaining), _rate_limit_of, ctx.upstream)
        return [*result.exchanges, result]

    return perform


def _rate_limit_of(result: SdkResult) -> float | None:
    """How long to wait when the SDK's call was rate-limited (both SDKs keep the HTTP response on the error)."""
    response = getattr(result.error, "response", None)
    if response is None:
        return None
    return retry_after(getattr(response, "status_code", None), {k.lower(): v for k, v in response.headers.items()})


def sdk_frame(error: BaseException) -> str | None:
    """Where inside the SDK the exception was raised (`openai/_streaming.py:123 in __stream__`), if it was."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        for package in SDK_PACKAGES:
            _, inside, rest = frame.filename.rpartition(f"/{package}/")
            if inside:
                return f"{package}/{rest}:{frame.lineno} in {frame.name}"
    return None


def _value(result: SdkResult, ctx: Context) -> Any:
    if result.error is not None:
        error = result.error
        message = str(error).splitlines()[0][:240] if str(error) else ""
        where = sdk_frame(error)
        raise Failed(f"{result.operation} to succeed", f"{type(error).__module__}.{type(error).__name__}: {message}"
                     + (f" (raised at {where})" if where else ""))
    return result.value


def _typed(item: Any) -> bool:
    """A model the SDK parsed into (both SDKs build theirs on pydantic); a plain dict means it gave up."""
    from pydantic import BaseModel

    return isinstance(item, BaseModel)


def _parsed(items: Any, what: str, value: Any) -> list:
    """The SDK parsed `items` into a list of its typed models (an unparsed dict means the SDK gave up on them)."""
    if not isinstance(items, list) or not items or not all(_typed(i) for i in items):
        raise Failed(f"{what} parsed by the SDK into a non-empty list of typed objects", repr(value)[:240])
    return items


@check("SDK-001")
def openai_chat(result: SdkResult, ctx: Context) -> None:
    completion = _value(result, ctx)
    choice = _parsed(getattr(completion, "choices", None), "choices", completion)[0]
    if getattr(getattr(choice, "message", None), "role", None) != "assistant":
        raise Failed("a parsed completion with an assistant message", repr(completion)[:240])


@check("SDK-002")
def openai_chat_stream(result: SdkResult, ctx: Context) -> None:
    chunks = _value(result, ctx)
    text = "".join(getattr(c.choices[0].delta, "content", None) or "" for c in chunks
                   if isinstance(getattr(c, "choices", None), list) and c.choices and _typed(c.choices[0]))
    if not chunks or not text:
        raise Failed("a stream of parsed chunks with text", f"{len(chunks)} chunks, text {text!r}")


def _final_tool_completion(result: SdkResult, ctx: Context) -> Any:
    """The helper's final completion; a proper 4xx refusal of the tools, which the SDK raises, is "not supported"."""
    refused = result.exchanges[-1] if result.error is not None and result.exchanges else None
    if refused is not None and refused.status is not None and 400 <= refused.status < 500:
        supported(refused)
    completion = _value(result, ctx)
    _parsed(getattr(completion, "choices", None), "choices", completion)
    return completion


@check("SDK-007")
def openai_chat_tool_stream(result: SdkResult, ctx: Context) -> None:
    _final_tool_completion(result, ctx)


@check("SDK-008")
def openai_chat_tool_stream_calls(result: SdkResult, ctx: Context) -> None:
    """Judged on the helper's own assembly: a stream it could not read to its end holds no calls."""
    message = getattr(_final_tool_completion(result, ctx).choices[0], "message", None)
    calls = getattr(message, "tool_calls", None) or []
    if not calls:
        raise NotJudged("the final message holds no tool call: how many the model makes is its own choice")
    problems = []
    for number, call in enumerate(calls):
        function = getattr(call, "function", None)
        name, arguments = getattr(function, "name", None), getattr(function, "arguments", None)
        if name not in TOOL_NAMES:
            problems.append(f"call {number} names {name!r}, no tool offered")
        if arguments_problem(arguments) is not None:
            problems.append(f"call {number} arguments {str(arguments)[:80]!r} are no JSON object")
    if problems:
        raise Failed("each tool call of the final completion naming a tool offered, its arguments a JSON object",
                     "; ".join(problems), problems)


def _response_with_text(result: SdkResult, ctx: Context, what: str) -> None:
    response = _value(result, ctx)
    _parsed(getattr(response, "output", None), "output", response)
    if not getattr(response, "output_text", None):
        raise Failed(f"{what} with output_text", repr(response)[:240])


@check("SDK-003")
def openai_response(result: SdkResult, ctx: Context) -> None:
    _response_with_text(result, ctx, "a parsed response")


@check("SDK-004")
def openai_response_stream(result: SdkResult, ctx: Context) -> None:
    _response_with_text(result, ctx, "a final streamed response")


@check("SDK-011")
def openai_response_stream_function_call(result: SdkResult, ctx: Context) -> None:
    """A refusal of the tools by the SDK's own request is judged as any capability probe's (a proper 4xx: not
    supported); the arguments the SDK assembled must parse."""
    if result.error is not None and result.exchanges:
        status = result.exchanges[-1].status
        if not result.exchanges[-1].failure and status is not None and 400 <= status < 500:
            supported(result.exchanges[-1])
    response = _value(result, ctx)
    calls = [i for i in getattr(response, "output", None) or [] if getattr(i, "type", None) == "function_call"]
    name = FORCED_WEATHER_RESPONSES["name"]
    if not calls or not _typed(calls[0]) or getattr(calls[0], "name", None) != name:
        raise Failed(f"a final response holding a parsed function_call item for {name}", repr(response)[:240])
    try:
        arguments = json.loads(calls[0].arguments)
    except (TypeError, ValueError):
        arguments = None
    if not isinstance(arguments, dict):
        raise Failed("the function_call's arguments, a JSON object", repr(calls[0].arguments)[:240])


def _assistant_message(result: SdkResult, ctx: Context, what: str) -> None:
    message = _value(result, ctx)
    _parsed(getattr(message, "content", None), "content", message)
    if getattr(message, "role", None) != "assistant":
        raise Failed(f"{what} from the assistant", repr(message)[:240])


@check("SDK-005")
def anthropic_message(result: SdkResult, ctx: Context) -> None:
    _assistant_message(result, ctx, "a parsed message")


@check("SDK-006")
def anthropic_message_stream(result: SdkResult, ctx: Context) -> None:
    _assistant_message(result, ctx, "a final streamed message")


# Issue 24: the anthropic SDK reads the streams the suite recorded, a tool call's and thinking's, as it reads a live one:
# its client gets a transport that answers with the recorded status, headers and body, so no request is sent and a
# replayed cassette is judged the same way.

def replayed_final_message(x: Exchange) -> Any:
    """What `messages.stream(...).get_final_message()` makes of a recorded answer to the exchange's request."""
    import anthropic
    import httpx2

    def answer(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(x.status or 0, headers={"content-type": x.headers.get("content-type", "")},
                               content=x.body)

    asked = {k: v for k, v in x.request.json_body.items() if k != "stream"}
    named = {k: asked.pop(k) for k in ("model", "max_tokens", "messages")}
    client = anthropic.Anthropic(base_url="http://recorded.invalid", api_key="recorded", max_retries=0,
                                 http_client=anthropic.DefaultHttpxClient(transport=httpx2.MockTransport(answer)))
    try:
        with client.messages.stream(**named, extra_body=asked) as stream:
            return stream.get_final_message()
    finally:
        client.close()


def _final_message(x: Exchange) -> Any:
    try:
        return replayed_final_message(x)
    except Exception as error:  # the SDK's own exception is the finding
        where = sdk_frame(error)
        raise Failed("messages.stream().get_final_message() to succeed on the stream",
                     f"{type(error).__module__}.{type(error).__name__}: {str(error)[:200]}"
                     + (f" (raised at {where})" if where else "")) from None


def _sdk_blocks(message: Any, kind: str) -> list[Any]:
    return [block for block in getattr(message, "content", None) or [] if getattr(block, "type", None) == kind]


@check("SDK-009")
def anthropic_stream_tool_use(x: Exchange, ctx: Context) -> None:
    blocks = tool_blocks(optional_stream(x, TOOLS))
    found = {block.id: block for block in _sdk_blocks(_final_message(x), "tool_use")}
    for block in blocks:
        held = found.get(block.start.get("id"))
        if held is None or held.name != block.start.get("name") or not isinstance(held.input, dict):
            raise Failed(f"a tool_use block {block.start.get('id')} ({block.start.get('name')}) with its input parsed "
                         "into an object", repr(held)[:240] if held is not None else f"none among {list(found)}")


@check("SDK-010", whole=True)
def anthropic_stream_thinking(xs: list[Exchange], ctx: Context) -> None:
    x = streamed(xs, WHAT)
    expected = [(b.joined("thinking_delta", "thinking"), b.signature)
                for b in streamed_blocks(optional_stream(x, WHAT)) if b.type == "thinking"]
    if not expected:
        raise NotJudged("no thinking block was streamed: MSG-STREAM-011 judges whether one should have been")
    held = [(block.thinking, block.signature) for block in _sdk_blocks(_final_message(x), "thinking")]
    if held != expected or not all(signature for _, signature in held):
        raise Failed(f"{len(expected)} thinking block(s), each with its streamed text and a non-empty signature",
                     show([{"thinking": t[:40], "signature": s} for t, s in held]))


OPERATIONS = {
    "chat.completions.create": (_openai, _chat),
    "chat.completions.create(stream=True)": (_openai, _chat_stream),
    "chat.completions.stream": (_openai, _chat_tool_stream),
    "responses.create": (_openai, _response),
    "responses.stream": (_openai, _response_stream),
    "responses.stream(tools)": (_openai, _response_stream_function_call),
    "messages.create": (_anthropic, _message),
    "messages.stream": (_anthropic, _message_stream),
}

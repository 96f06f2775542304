"""SDK: the official openai and anthropic clients, changed only in base URL and key, read what the target sends.

These probes talk through the SDKs themselves, so they are the one part of the
suite that is not a pure function of a recorded exchange: both SDKs send with
httpx2, which cassettes cannot replay, and replay runs skip them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .bodies import MAX_OUTPUT_TOKENS, MAX_TOKENS, PROMPT
from .case import Context, Failed, Skipped, check

if TYPE_CHECKING:
    from ..target import Caller

REPLAY_REASON = "the official SDKs send with httpx2, which cassettes cannot replay; run against a live or reference target"


@dataclass
class SdkResult:
    """What one SDK call gave: a parsed value, or the exception it raised."""

    operation: str
    value: Any = None
    error: BaseException | None = None


def _openai(ctx: Context):
    import openai

    return openai.OpenAI(base_url=ctx.target.base_url, api_key=ctx.target.api_key, max_retries=0,
                         timeout=ctx.target.timeout_s)


def _anthropic(ctx: Context):
    import anthropic

    # The Anthropic SDK appends /v1/messages to its base URL; CRUN's base already ends in the version.
    base = ctx.target.base_url.removesuffix("/v1")
    return anthropic.Anthropic(base_url=base, api_key=ctx.target.api_key, max_retries=0,
                               timeout=ctx.target.timeout_s)


def _chat(ctx: Context):
    return _openai(ctx).chat.completions.create(model=ctx.model, max_tokens=MAX_TOKENS,
                                                messages=[{"role": "user", "content": PROMPT}])


def _chat_stream(ctx: Context):
    with _openai(ctx).chat.completions.create(model=ctx.model, max_tokens=MAX_TOKENS, stream=True,
                                              messages=[{"role": "user", "content": PROMPT}]) as stream:
        return list(stream)


def _response(ctx: Context):
    return _openai(ctx).responses.create(model=ctx.model, input=PROMPT, max_output_tokens=MAX_OUTPUT_TOKENS)


def _response_stream(ctx: Context):
    with _openai(ctx).responses.stream(model=ctx.model, input=PROMPT, max_output_tokens=MAX_OUTPUT_TOKENS) as stream:
        for _ in stream:
            pass
        return stream.get_final_response()


def _message(ctx: Context):
    return _anthropic(ctx).messages.create(model=ctx.messages_model, max_tokens=MAX_TOKENS,
                                           messages=[{"role": "user", "content": PROMPT}])


def _message_stream(ctx: Context):
    with _anthropic(ctx).messages.stream(model=ctx.messages_model, max_tokens=MAX_TOKENS,
                                         messages=[{"role": "user", "content": PROMPT}]) as stream:
        return stream.get_final_message()


def _tokens(value: Any) -> tuple[int, int]:
    usage = getattr(value, "usage", None)
    if usage is None and isinstance(value, list):
        usage = next((c.usage for c in reversed(value) if getattr(c, "usage", None)), None)
    inp = getattr(usage, "input_tokens", None) or getattr(usage, "prompt_tokens", None) or 0
    out = getattr(usage, "output_tokens", None) or getattr(usage, "completion_tokens", None) or 0
    return int(inp), int(out)


def probe(operation: str, call: Callable[[Context], Any]) -> Callable[[Caller, Context], list[SdkResult]]:
    """A case's `perform`: make one SDK call, count its cost, keep its value or its exception."""

    def perform(caller: Caller, ctx: Context) -> list[SdkResult]:
        if ctx.replay:
            return [SdkResult(operation)]
        try:
            value = call(ctx)
        except Exception as exc:  # the SDK's own exception is the finding
            caller.cost.add(1)
            return [SdkResult(operation, error=exc)]
        caller.cost.add(1, *_tokens(value))
        return [SdkResult(operation, value=value)]

    return perform


def _value(result: SdkResult, ctx: Context) -> Any:
    if ctx.replay:
        raise Skipped(REPLAY_REASON)
    if result.error is not None:
        message = str(result.error).splitlines()[0][:240] if str(result.error) else ""
        raise Failed(f"{result.operation} to succeed", f"{type(result.error).__module__}."
                     f"{type(result.error).__name__}: {message}")
    return result.value


@check("SDK-001")
def openai_chat(result: SdkResult, ctx: Context) -> None:
    completion = _value(result, ctx)
    if not completion.choices or completion.choices[0].message.role != "assistant":
        raise Failed("a parsed completion with an assistant message", repr(completion)[:240])


@check("SDK-002")
def openai_chat_stream(result: SdkResult, ctx: Context) -> None:
    chunks = _value(result, ctx)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    if not chunks or not text:
        raise Failed("a stream of chunks with text", f"{len(chunks)} chunks, text {text!r}")


@check("SDK-003")
def openai_response(result: SdkResult, ctx: Context) -> None:
    response = _value(result, ctx)
    if not response.output_text:
        raise Failed("a parsed response with output_text", repr(response)[:240])


@check("SDK-004")
def openai_response_stream(result: SdkResult, ctx: Context) -> None:
    response = _value(result, ctx)
    if not response.output_text:
        raise Failed("a final response with output_text", repr(response)[:240])


@check("SDK-005")
def anthropic_message(result: SdkResult, ctx: Context) -> None:
    message = _value(result, ctx)
    if message.role != "assistant" or not message.content:
        raise Failed("a parsed assistant message with content", repr(message)[:240])


@check("SDK-006")
def anthropic_message_stream(result: SdkResult, ctx: Context) -> None:
    message = _value(result, ctx)
    if message.role != "assistant" or not message.content:
        raise Failed("a final assistant message with content", repr(message)[:240])


OPERATIONS = {
    "chat.completions.create": _chat,
    "chat.completions.create(stream=True)": _chat_stream,
    "responses.create": _response,
    "responses.stream": _response_stream,
    "messages.create": _message,
    "messages.stream": _message_stream,
}

"""COMPLETIONS: the legacy text completion, and its no-stream rule."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .expect import openai_error, refused_not_streamed, status, success_body


@check("COMP-001")
def text_completion_shape(x: Exchange, ctx: Context) -> None:
    success_body(x, "Completion")


@check("COMP-002")
def stream_refused(x: Exchange, ctx: Context) -> None:
    refused_not_streamed(x, "a 4xx error for stream: true on /completions")
    openai_error(x)


@check("COMP-003")
def stream_no_server_error(x: Exchange, ctx: Context) -> None:
    status(x, lambda s: s < 500, "no 5xx for stream: true on /completions")


@check("COMP-004")
def stream_not_streamed(x: Exchange, ctx: Context) -> None:
    if x.is_event_stream:
        raise Failed("a 4xx error or a JSON text completion for stream: true", f"HTTP {x.status} text/event-stream")
    code = status(x, lambda s: 200 <= s < 300 or 400 <= s < 500, "a 4xx error or a JSON text completion")
    if code < 300:
        success_body(x, "Completion")

"""ERRORS: how an unknown model is refused: status, `model_not_found`, never a stream, the right body format; and no
error comes with a 2xx status, on any endpoint (ERR-006)."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .expect import answered, client_error, error_for, json_object, refused_not_streamed, show, status


@check("ERR-001")
def unknown_model_4xx(x: Exchange, ctx: Context) -> None:
    client_error(x)


@check("ERR-002")
def unknown_model_404(x: Exchange, ctx: Context) -> None:
    status(x, {404}, "404 for an unknown model")


@check("ERR-003")
def model_not_found_code(x: Exchange, ctx: Context) -> None:
    client_error(x)
    error = json_object(x).get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if code != "model_not_found":
        raise Failed('error.code "model_not_found"', f"error {show(error)}")


@check("ERR-004")
def unknown_model_no_stream(x: Exchange, ctx: Context) -> None:
    refused_not_streamed(x, "a JSON error for an unknown model asked to stream")
    json_object(x)


@check("ERR-005")
def error_body_format(x: Exchange, ctx: Context) -> None:
    client_error(x)
    error_for(x.request.path)(x)


def is_error_body(data: object) -> bool:
    """An error object, whatever a gateway wraps it in: OpenAI's `{"error": {...}}` (no resource `object` beside it:
    a failed response object carries an `error` of its own), Anthropic's `{"type": "error", ...}`, or vLLM's
    `{"object": "error", ...}`."""
    if not isinstance(data, dict):
        return False
    if data.get("type") == "error" or data.get("object") == "error":
        return True
    return data.get("error") not in (None, "", {}, []) and data.get("object") is None


@check("ERR-006")
def no_error_with_2xx(x: Exchange, ctx: Context) -> None:
    """A stream is judged by its first event: one that fails midway, after answering, reports it in the stream, as
    OpenAI and Anthropic do; one that opens with the error knew before its first byte that there was nothing to send.
    Any status but a 2xx is other rules' to judge; an answer that did not come whole is no answer to clear."""
    answered(x)
    if not 200 <= x.status < 300:
        return
    if x.is_event_stream:
        first = next((event for event in x.events or [] if not event.is_done), None)
        data, what = (first.json() if first is not None else None), "a 2xx event stream that opens with an error"
    else:
        data, what = x.json(), "a 2xx body that is an error"
    if is_error_body(data):
        raise Failed("no error with a 2xx status: an error comes with a 4xx or 5xx", f"{what}: HTTP {x.status} "
                     f"{show(data)}")

"""ERRORS: how an unknown model is refused: status, `model_not_found`, never a stream, the right body format."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .expect import client_error, error_for, json_object, refused_not_streamed, show, status


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

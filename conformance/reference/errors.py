"""Error bodies: the OpenAI error object everywhere, the Anthropic error on `/messages`.

Handlers raise `ApiError`; the app renders it in the style the path owes, so
the shape of an error lives here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .faults import ERROR_200, ERROR_200_STREAM, MESSAGES_OPENAI_ERRORS, PARAM_ERROR_BARE, PARAM_NOT_NAMED
from .wire import DONE, event_stream, json_response, sse

OPENAI_TYPES = {401: "invalid_request_error", 403: "permission_error", 429: "rate_limit_error", 500: "server_error"}
ANTHROPIC_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                   413: "request_too_large", 429: "rate_limit_error", 500: "api_error"}



@dataclass
class ApiError(Exception):
    """A refusal: HTTP status, a message that names any parameter at fault, and OpenAI's param and code."""

    status: int
    message: str
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] | None = None
    body: dict | None = None  # a fault's own body, sent as is instead of the error form the path owes


def openai_body(error: ApiError) -> dict:
    kind = OPENAI_TYPES.get(error.status, "invalid_request_error")
    return {"error": {"message": error.message, "type": kind, "param": error.param, "code": error.code}}


def anthropic_body(error: ApiError) -> dict:
    kind = ANTHROPIC_TYPES.get(error.status, "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": error.message}}


def is_anthropic(path: str) -> bool:
    return path.rstrip("/").endswith("/messages")


def error_response(request: Request, error: ApiError) -> Response:
    faults = request.app.state.config.faults
    if PARAM_NOT_NAMED in faults:
        error = replace(error, param=None)
    if error.body is not None:
        body = error.body
    elif is_anthropic(request.url.path) and MESSAGES_OPENAI_ERRORS not in faults:
        body = anthropic_body(error)
    elif error.status == 400 and PARAM_ERROR_BARE in faults:
        body = {"message": error.message}
    else:
        body = openai_body(error)
    if 400 <= error.status < 500 and ERROR_200_STREAM in faults and getattr(request.state, "asked_to_stream", False):
        anthropic = body.get("type") == "error"
        return event_stream([sse(body, "error" if anthropic else None), *(() if anthropic else (DONE,))])
    if 400 <= error.status < 500 and ERROR_200 in faults:
        return json_response(body, 200, error.headers)
    return json_response(body, error.status, error.headers)


# Constructors for the refusals every endpoint shares.

def missing(param: str) -> ApiError:
    return ApiError(400, f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def invalid(param: str | None, problem: str, code: str = "invalid_value") -> ApiError:
    message = f"Invalid '{param}': {problem}" if param else problem
    return ApiError(400, message, param, code)


def model_not_found(model: str) -> ApiError:
    return ApiError(404, f"The model '{model}' does not exist", "model", "model_not_found")


def unauthorized(sent_key: bool) -> ApiError:
    # The message never repeats the key sent, right or wrong.
    message = ("Incorrect API key provided." if sent_key else
               "Missing API key: send it as 'Authorization: Bearer KEY' or 'X-API-KEY: KEY'.")
    return ApiError(401, message, None, "invalid_api_key")


# Starlette exception handlers, installed by create_app.

async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Routing refusals (unknown path, wrong method) as JSON errors, not Starlette's plain text."""
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if exc.status_code == 404:
        error = ApiError(404, f"Unknown request URL: {method} {path}.", None, "unknown_url")
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        error = ApiError(405, f"Method {method} is not allowed on {path}; allowed: {allowed}.", None,
                         "method_not_allowed", dict(exc.headers or {}))
    else:
        error = ApiError(exc.status_code, str(exc.detail))
    return error_response(request, error)


async def on_server_error(request: Request, exc: Exception) -> Response:
    error = ApiError(500, "The reference server failed while handling this request.", None, "internal_error")
    return error_response(request, error)

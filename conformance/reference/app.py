"""The reference server as a Starlette app: five endpoints under a prefix, JSON errors for everything else.

Each endpoint is a plain async function in its own module; cross-cutting
behaviour (auth, error bodies, body parsing, SSE framing) lives in one module
each, so a fault can later be switched on in exactly one place. The config,
faults included, stays on `app.state.config`.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from . import chat, completions, messages, models, responses
from .config import DEFAULT_CONFIG, ReferenceConfig
from .errors import ApiError, on_api_error, on_http_error, on_server_error
from .faults import JSON_GARBAGE, Crash, GarbledJson
from .load_faults import LOAD_FAULTS, Concurrency, CountConcurrency
from .pacing import Admission, ConcurrencyLimit, Pacing


def create_app(config: ReferenceConfig = DEFAULT_CONFIG) -> Starlette:
    prefix = config.prefix.rstrip("/")
    routes = [
        Route(f"{prefix}/models", models.list_models, methods=["GET"]),
        Route(f"{prefix}/models/{{model_id:path}}", models.retrieve_model, methods=["GET"]),
        Route(f"{prefix}/chat/completions", chat.create, methods=["POST"]),
        Route(f"{prefix}/completions", completions.create, methods=["POST"]),
        Route(f"{prefix}/responses", responses.create, methods=["POST"]),
        Route(f"{prefix}/messages", messages.create, methods=["POST"]),
    ]
    # A fault's Crash is handled where ApiError is; any other exception is a defect of the server itself, answered
    # 500 too, but re-raised to uvicorn, which logs it and closes the connection (see errors.Crash).
    app = Starlette(routes=routes, exception_handlers={
        ApiError: on_api_error, HTTPException: on_http_error, Crash: on_server_error, Exception: on_server_error,
    })
    app.router.redirect_slashes = False  # a trailing slash is an unknown URL (JSON 404), not a redirect
    app.state.config = config
    app.state.responses = responses.ResponseStore()
    app.state.kept_turns = {}  # chat turns by key, kept only by the `state_kept` fault (chat.kept_turns)
    if JSON_GARBAGE in config.faults:
        app.add_middleware(GarbledJson)
    if config.latency_ms or config.chunk_ms or config.rate_limit_every:
        app.add_middleware(Pacing, config=config)
    app.state.admission = Admission()
    if config.max_concurrency:  # outside the pacing: a request waiting out its latency is in flight
        app.add_middleware(ConcurrencyLimit, config=config, admission=app.state.admission)
    app.state.concurrency = Concurrency()
    if config.faults & LOAD_FAULTS:
        app.add_middleware(CountConcurrency, concurrency=app.state.concurrency, faults=config.faults,
                           hold_s=config.hold_s)
    return app

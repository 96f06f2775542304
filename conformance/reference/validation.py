"""Request checks shared by the endpoints: the JSON body, the model, typed fields and their ranges.

Every refusal is an `ApiError` that names the parameter (OpenAI's
`error.param`, and the message on every endpoint, so `/messages` names it
too). A check exists once here; endpoints only say which fields they take.
The typed readers treat `null` as absent; whether a field may be `null` at
all is the contract's to say, and `conform`, the catch-all every endpoint
ends its checks with, holds the body to its request schema.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from typing import Any

from starlette.requests import Request

from ..catalogue.contract import Problem, validate
from .auth import x_api_key_probe_only
from .config import ModelInfo, ReferenceConfig
from .errors import ApiError, invalid, missing, model_not_found
from .faults import (
    CAPABILITIES_BROKEN,
    CAPABILITIES_DECLINED,
    EXTRA_FIELDS_REFUSED,
    MALFORMED_JSON_500,
    MODEL_UPSTREAM_NAME,
    OUT_OF_RANGE_500,
    TEMPERATURE_UNCHECKED,
    UNKNOWN_FIELD_500,
    UNKNOWN_MODEL_200,
    UNKNOWN_MODEL_400,
    UNKNOWN_MODEL_NO_CODE,
    UNKNOWN_MODEL_STREAMS,
    Crash,
    Fault,
    beyond_bound,
    capability_asked,
    crash_on_unknown_field,
    strip_capabilities,
    unchecked_fields,
    unknown_fields,
    upstream_name,
)

MAX_BODY_BYTES = 8 * 1024 * 1024
MODEL_ID_MAX = 128
_ABSENT = re.compile(r"property '([A-Za-z_][A-Za-z0-9_]*)' present")  # how a Problem says a property is missing


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity, no numbers that overflow to infinity."""
    return json.loads(raw, parse_float=_finite, parse_constant=_no_constants)


async def read_json(request: Request) -> dict:
    """The request body as a JSON object, or a 400 (413 when too large)."""
    content_type = request.headers.get("content-type")
    if content_type is not None:
        media = content_type.partition(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            raise invalid(None, "Content-Type must be application/json.", "invalid_content_type")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.", None, "request_too_large")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.", None, "request_too_large")
    if not raw.strip():
        raise invalid(None, "The request body is empty; send a JSON object.", "invalid_json")
    config: ReferenceConfig = request.app.state.config
    try:
        body = parse_json(raw)
    except (ValueError, RecursionError) as exc:
        if MALFORMED_JSON_500 in config.faults:
            raise Crash("the body is not JSON") from None
        raise invalid(None, f"The request body is not valid JSON ({str(exc)[:120]}).", "invalid_json") from None
    if not isinstance(body, dict):
        raise invalid(None, f"The request body must be a JSON object, not {kind(body)}.", "invalid_json")
    request.state.asked_to_stream = body.get("stream") is True  # how a refusal of it is sent (errors.error_response)
    endpoint = request.url.path.removeprefix(config.prefix.rstrip("/"))
    if UNKNOWN_FIELD_500 in config.faults:
        crash_on_unknown_field(endpoint, body)
    if EXTRA_FIELDS_REFUSED in config.faults and (extra := unknown_fields(endpoint, body)):
        raise invalid(extra[0], f"Unrecognized request argument supplied: {extra[0]}.", "unknown_parameter")
    if CAPABILITIES_DECLINED in config.faults and (param := capability_asked(body)):
        raise invalid(param, f"{param} is not supported by this model.", "unsupported_parameter")
    if CAPABILITIES_BROKEN in config.faults:
        strip_capabilities(body)
    x_api_key_probe_only(request, body)
    return body


def kind(value: Any) -> str:
    """How a JSON value is named in a message: `a string`, `an array`, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def shown(value: Any, limit: int = 40) -> str:
    """A value as quoted in a message, cut short so a huge value never floods an error body."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def wrong_type(param: str, expected: str, value: Any) -> ApiError:
    return invalid(param, f"expected {expected}, but got {kind(value)} instead.", "invalid_type")


def _typed(body: dict, key: str, types: tuple[type, ...], expected: str, required: bool, param: str | None) -> Any:
    value = body.get(key)
    name = param or key
    if value is None:
        if required:
            raise missing(name)
        return None
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        raise wrong_type(name, expected, value)
    return value


def string(body: dict, key: str, *, required: bool = False, param: str | None = None) -> str | None:
    return _typed(body, key, (str,), "a string", required, param)


def boolean(body: dict, key: str, *, param: str | None = None) -> bool | None:
    return _typed(body, key, (bool,), "a boolean", False, param)


def obj(body: dict, key: str, *, required: bool = False, param: str | None = None) -> dict | None:
    return _typed(body, key, (dict,), "an object", required, param)


def array(body: dict, key: str, *, required: bool = False, param: str | None = None) -> list | None:
    return _typed(body, key, (list,), "an array", required, param)


def outside(param: str, below: bool, nearest: Any, error: ApiError, faults: frozenset[Fault]) -> Any:
    """A value beyond a bound is refused with `error`, unless an issue-23 fault takes that bound over:
    `out_of_range_500` crashes, `out_of_range_clamped` serves `nearest`, the closest value in range."""
    fault = beyond_bound(param, below, faults)
    if fault is OUT_OF_RANGE_500:
        raise Crash(f"{param} beyond its bound")
    if fault is None:
        raise error
    return nearest


def number(body: dict, key: str, low: float, high: float, *, param: str | None = None,
           faults: frozenset[Fault] = frozenset()) -> float | None:
    value = _typed(body, key, (int, float), "a number", False, param)
    if value is not None and not low <= value <= high:
        error = invalid(param or key, f"expected a number from {low} to {high}, but got {shown(value)} instead.")
        value = body[key] = outside(param or key, value < low, low if value < low else high, error, faults)
    return value


def temperature(body: dict, high: float, faults: frozenset[Fault]) -> float | None:
    """`temperature` from 0 to `high` (2 for OpenAI, 1 for Anthropic); any number under `temperature_unchecked`."""
    low, high = (-math.inf, math.inf) if TEMPERATURE_UNCHECKED in faults else (0, high)
    return number(body, "temperature", low, high)


def integer(body: dict, key: str, low: int, high: int | None = None, *, required: bool = False,
            param: str | None = None, faults: frozenset[Fault] = frozenset()) -> int | None:
    """An integer in range. JSON Schema counts 5.0 as an integer, so it is taken, and stored back, as 5."""
    value = _typed(body, key, (int, float), "an integer", required, param)
    if isinstance(value, float):
        if not value.is_integer():
            raise wrong_type(param or key, "an integer", value)
        value = body[key] = int(value)
    if value is not None and (value < low or high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        error = invalid(param or key, f"expected an integer {bounds}, but got {shown(value)} instead.")
        value = body[key] = outside(param or key, value < low, low if value < low else high, error, faults)
    return value


def stop_sequences(body: dict, key: str, max_items: int | None,
                   faults: frozenset[Fault] = frozenset()) -> tuple[str, ...]:
    """A stop string or a list of them (at most `max_items`); empty strings never match and are dropped."""
    value = body.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise wrong_type(key, "a string or an array of strings", value)
    if max_items is not None and len(value) > max_items:
        error = invalid(key, f"expected at most {max_items} stop sequences, but got {len(value)}.")
        value = body[key] = outside(key, False, value[:max_items], error, faults)
    return tuple(s for s in value if s)


def model(body: dict, config: ReferenceConfig) -> ModelInfo:
    """The requested model: a 400 for a malformed id, a 404 `model_not_found` for an unknown one."""
    model_id = string(body, "model", required=True)
    if not 1 <= len(model_id) <= MODEL_ID_MAX:
        error = invalid("model", f"expected a model id of 1 to {MODEL_ID_MAX} characters, got {len(model_id)}.")
        # served anyway (out_of_range_clamped): an empty id by the first model, a long one looked up as it is
        model_id = body["model"] = outside("model", not model_id, model_id or config.models[0].id, error, config.faults)
    info = config.model(model_id)
    if info is None:
        faults = config.faults
        if UNKNOWN_MODEL_200 in faults or UNKNOWN_MODEL_STREAMS in faults and body.get("stream") is True:
            return config.models[0]
        error = model_not_found(model_id)
        if UNKNOWN_MODEL_400 in faults:
            error.status = 400
        if UNKNOWN_MODEL_NO_CODE in faults:
            error.code = None
        raise error
    if MODEL_UPSTREAM_NAME in config.faults:
        return replace(info, id=upstream_name(info.id))
    return info


def nonempty(value: list, param: str, faults: frozenset[Fault] = frozenset()) -> list:
    if not value:
        return outside(param, True, value, invalid(param, "expected a non-empty array."), faults)
    return value


def one_of(value: Any, choices: tuple[str, ...], param: str) -> str:
    if not isinstance(value, str) or value not in choices:
        got = shown(value) if isinstance(value, str) else kind(value)
        raise invalid(param, f"expected one of {', '.join(choices)}, but got {got}.")
    return value


def conform(body: dict, schema_name: str, faults: frozenset[Fault] = frozenset()) -> None:
    """The catch-all: the first way the body breaks its request schema in the contract is a 400 naming the field.

    Endpoints call it after their own checks, which refuse the common mistakes
    in their own words; this holds everything else (nulls, nested types,
    sizes, enums) to `openapi/crun.yaml`, so what the reference accepts is
    what the contract allows. A field a fault leaves unchecked stays unchecked.
    """
    try:
        problems = validate(schema_name, body)
    except RecursionError:
        raise invalid(None, "The request body is nested too deeply.", "invalid_json") from None
    skipped = unchecked_fields(faults)
    for problem in problems:
        param, absent = field(problem)
        if param in skipped:
            continue
        if absent:
            raise missing(param)
        raise invalid(param, f"expected {problem.expected}, but got {problem.actual} instead.")


def field(problem: Problem) -> tuple[str | None, bool]:
    """The field a Problem is about, as OpenAI's `error.param` names it (`messages[0].content`), and whether it is
    missing: a missing property is named itself, not the object that lacks it."""
    path = problem.path.removeprefix("$").removeprefix(".")
    absent = _ABSENT.fullmatch(problem.expected)
    if absent:
        return f"{path}.{absent[1]}" if path else absent[1], True
    return path or None, False

"""The wire contract as code: `openapi/crun.yaml`, loaded once, validating by schema name.

Validation runs on every stream event of every run, so a valid instance costs one
call into jsonschema_rs; only an invalid one pays for the reference implementation
(python-jsonschema), whose error tree is turned into Problems a person can act on:
where, what was expected, what came.

For the SSE wrappers (`ChatCompletionSSE`, `ResponseSSE`, `MessageSSE`) the event's
`data` is also parsed and checked against the wrapper's `contentSchema`; problems
inside the payload have paths starting at `$.data`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import jsonschema
import jsonschema_rs
import yaml

__all__ = ["Problem", "contract_path", "document", "schema_names", "validate", "validator"]

_SCHEMAS_POINTER = "#/components/schemas/"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ACTUAL_LIMIT = 120
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_SIZES = {
    "minLength": ("a string of at least", "character"),
    "maxLength": ("a string of at most", "character"),
    "minItems": ("an array of at least", "item"),
    "maxItems": ("an array of at most", "item"),
    "minProperties": ("an object with at least", "property"),
    "maxProperties": ("an object with at most", "property"),
}


@dataclass(frozen=True)
class Problem:
    """One way an instance breaks the contract."""

    path: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.path}: expected {self.expected}, got {self.actual}"


def contract_path() -> Path:
    """The OpenAPI document: in the source tree, or bundled inside an installed wheel."""
    package = Path(__file__).resolve().parent.parent
    candidates = (package.parent / "openapi" / "crun.yaml", package / "_openapi" / "crun.yaml")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"contract not found; looked at {', '.join(str(c) for c in candidates)}")


@lru_cache(maxsize=1)
def document() -> dict:
    """The parsed OpenAPI document (cached; treat it as read-only)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster
    with contract_path().open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def schema_names() -> list[str]:
    return sorted(document()["components"]["schemas"])


def validate(schema_name: str, instance: object) -> list[Problem]:
    """Problems of `instance` against the named schema; [] when it conforms."""
    return validator(schema_name)(instance)


@cache
def validator(schema_name: str) -> Callable[[object], list[Problem]]:
    """A compiled, cached check for one named schema."""
    schemas = document()["components"]["schemas"]
    if schema_name not in schemas:
        raise KeyError(
            f"no schema named {schema_name!r} in {contract_path().name}; known: {', '.join(sorted(schemas))}"
        )
    outer = _Compiled({"$ref": _SCHEMAS_POINTER + schema_name})
    content_schema = _content_schema(schemas[schema_name])
    if content_schema is None:
        return outer.problems
    inner = _Compiled(content_schema)

    def check_event(instance: object) -> list[Problem]:
        problems = outer.problems(instance)
        if problems:
            return problems
        data = instance["data"]  # type: ignore[index]  # the wrapper schema requires a string `data`
        if data == "[DONE]":
            return []
        try:
            payload = json.loads(data)
        except ValueError as exc:
            return [Problem("$.data", f"[DONE] or a JSON document ({exc})", _show(data))]
        return [Problem("$.data" + p.path[1:], p.expected, p.actual) for p in inner.problems(payload)]

    return check_event


def _content_schema(schema: dict) -> dict | None:
    """The `contentSchema` an SSE wrapper declares for its `data`, if any."""
    data = schema.get("properties", {}).get("data", {})
    for branch in data.get("anyOf", []):
        if isinstance(branch, dict) and "contentSchema" in branch:
            return branch["contentSchema"]
    return None


class _Compiled:
    """A schema rooted beside `components`, so `#/components/schemas/...` refs resolve."""

    def __init__(self, schema: dict) -> None:
        self._root = {"$schema": _DIALECT, **schema, "components": document()["components"]}
        self._fast = jsonschema_rs.validator_for(self._root)
        self._slow: jsonschema.Draft202012Validator | None = None

    def problems(self, instance: object) -> list[Problem]:
        try:
            if self._fast.is_valid(instance):
                return []
        except (ValueError, TypeError, OverflowError):
            pass  # not plain JSON data (e.g. a tuple or a huge int): let the reference implementation judge
        return self._explain(instance)

    def _explain(self, instance: object) -> list[Problem]:
        if self._slow is None:
            self._slow = jsonschema.Draft202012Validator(self._root)
        found: list[Problem] = []
        for error in self._slow.iter_errors(instance):
            found.extend(_from_error(error))
        if not found:
            found = self._fast_errors(instance)
        return list(dict.fromkeys(found))

    def _fast_errors(self, instance: object) -> list[Problem]:
        """Only reached when the two implementations disagree; report what jsonschema_rs saw."""
        try:
            return [
                Problem(_path(error.instance_path), error.message, _show(error.instance))
                for error in self._fast.iter_errors(instance)
            ]
        except (ValueError, TypeError, OverflowError) as exc:
            return [Problem("$", f"plain JSON data ({exc})", _show(instance))]


def _from_error(error: jsonschema.ValidationError) -> list[Problem]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _from_alternatives(error)
    path = _path(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        return [
            Problem(path, f"property {name!r} present", _show(error.instance))
            for name in error.validator_value
            if name not in error.instance
        ]
    return [Problem(path, _expected(error), _show(error.instance))]


def _from_alternatives(error: jsonschema.ValidationError) -> list[Problem]:
    """Explain an anyOf/oneOf failure by the branch the instance came closest to.

    Branches whose `type` does not even match are for other kinds of value and are set
    aside; among the rest the one whose errors reach deepest into the instance wins.
    When every branch fails right at the value itself, the alternatives are listed.
    """
    branches: dict[Any, list[jsonschema.ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    wrong_type = {
        key for key, errs in branches.items() if any(e.validator == "type" and not e.relative_path for e in errs)
    }
    candidates = {key: errs for key, errs in branches.items() if key not in wrong_type} or branches
    deepest = max(len(e.relative_path) for errs in candidates.values() for e in errs)
    if deepest > 0 or len(candidates) == 1:
        chosen = max(candidates.values(), key=lambda errs: (max(len(e.relative_path) for e in errs), -len(errs)))
        return [problem for sub in chosen for problem in _from_error(sub)]
    alternatives = []
    for errs in candidates.values():
        parts = [p.expected for sub in errs for p in _from_error(sub)]
        alternatives.append(" and ".join(dict.fromkeys(parts)))
    return [Problem(_path(error.absolute_path), " or ".join(dict.fromkeys(alternatives)), _show(error.instance))]


def _expected(error: jsonschema.ValidationError) -> str:
    keyword, value, schema = error.validator, error.validator_value, error.schema
    if keyword == "type":
        return _type_names(value)
    if keyword == "const":
        return _show(value)
    if keyword == "enum":
        return "one of [" + ", ".join(_show(v) for v in value) + "]"
    if keyword in _BOUNDS:
        return f"{_noun(schema)} {_BOUNDS[keyword]} {value}"
    if keyword in _SIZES:
        before, unit = _SIZES[keyword]
        return f"{before} {value} {unit if value == 1 else _plural(unit)}"
    if keyword == "pattern":
        return f"a string matching {value!r}"
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        known = schema.get("properties", {}) if isinstance(schema, dict) else {}
        extra = [name for name in error.instance if name not in known]
        return "no properties " + ", ".join(repr(name) for name in extra)
    if keyword is None or schema is False:
        return "nothing here (not allowed)"
    if keyword == "not":
        return f"a value not matching {_show(value)}"
    return error.message


def _plural(unit: str) -> str:
    return unit[:-1] + "ies" if unit.endswith("y") else unit + "s"


def _type_names(value: str | Iterable[str]) -> str:
    names = [value] if isinstance(value, str) else list(value)
    return " or ".join(_TYPE_NAMES.get(name, name) for name in names)


def _noun(schema: object) -> str:
    declared = schema.get("type") if isinstance(schema, dict) else None
    names = [declared] if isinstance(declared, str) else list(declared or [])
    for name in ("integer", "number"):
        if name in names:
            return _TYPE_NAMES[name]
    return "a value"


def _path(parts: Iterable[Any]) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            out += f".{part}"
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out


def _show(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _ACTUAL_LIMIT:
        text = text[: _ACTUAL_LIMIT - 1] + "…"
    return text

"""JSON Schema instances: a value valid against a schema, built deterministically from a random source.

The reference model answers structured-output requests (`json_schema`) and
tool calls with such values, so they must be valid for the keywords real
schemas use (type, properties, required, items, prefixItems, enum, const,
anyOf/oneOf/allOf, $ref, bounds, lengths, formats) and must never raise,
whatever a client sends: depth, items, properties and total nodes are bounded.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from .wire import dumps

MAX_DEPTH = 8
MAX_ITEMS = 8
MAX_PROPERTIES = 64
MAX_STRING = 256
NODE_BUDGET = 2000
FORMATS = {
    "date": "2026-03-01", "date-time": "2026-03-01T00:00:00Z", "time": "12:00:00Z", "email": "maya@example.com",
    "uri": "https://example.com/", "url": "https://example.com/", "uuid": "6f1c2b8e-0b7e-4c4b-9a53-2f1d7f0e8a41",
    "ipv4": "192.0.2.1", "ipv6": "2001:db8::1", "hostname": "example.com",
}


def instance(schema: Any, rng: random.Random, words: Sequence[str]) -> Any:
    """A value valid against `schema` for the common keywords, strings drawn from `words`; never raises."""
    if not words:
        raise ValueError("instance needs at least one word to build strings from")
    return _Builder(schema, rng, words).build(schema, 0)


class _Builder:
    """One instance being built: the root (for $ref), the random source, the words, and a node budget."""

    def __init__(self, root: Any, rng: random.Random, words: Sequence[str]) -> None:
        self.root, self.rng, self.words, self.budget = root, rng, words, NODE_BUDGET

    def build(self, schema: Any, depth: int) -> Any:
        self.budget -= 1
        if not isinstance(schema, dict):
            return self.rng.choice(self.words) if schema is not False else None
        if depth > MAX_DEPTH or self.budget <= 0:
            return {} if _type_of(schema) == "object" else None
        if isinstance(schema.get("$ref"), str):
            target = self.resolve(schema["$ref"])
            if target is not None:
                return self.build(target, depth + 1)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        for keyword in ("anyOf", "oneOf"):
            options = [o for o in schema.get(keyword) or () if isinstance(o, dict)] if isinstance(
                schema.get(keyword), list) else []
            if options:
                chosen = next((o for o in options if o.get("type") != "null"), options[0])
                return self.build(chosen, depth + 1)
        if isinstance(schema.get("allOf"), list):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                if isinstance(part, dict):
                    merged.update(part)
            return self.build(merged, depth + 1)
        kind = _type_of(schema)
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, depth)
        if kind in ("integer", "number"):
            return self.number(schema, kind)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.string(schema)

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return None
        node = self.root
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def object(self, schema: dict, depth: int) -> dict:
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = [r for r in schema.get("required") or () if isinstance(r, str)] if isinstance(
            schema.get("required"), list) else []
        out = {name: self.build(sub, depth + 1) for name, sub in list(properties.items())[:MAX_PROPERTIES]}
        for name in required:
            out.setdefault(name, self.rng.choice(self.words))
        return out

    def array(self, schema: dict, depth: int) -> list:
        low = _int(schema.get("minItems"), 0)
        high = _int(schema.get("maxItems"), None)
        count = min(max(low, 1), MAX_ITEMS)
        if high is not None:
            count = min(count, max(high, 0))
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        items = schema.get("items", {})
        out = [self.build(prefix[i] if i < len(prefix) else items, depth + 1) for i in range(count)]
        if schema.get("uniqueItems") is True:
            out = list({dumps(v): v for v in out}.values())
        return out

    def number(self, schema: dict, kind: str) -> int | float:
        low = _num(schema.get("minimum"))
        high = _num(schema.get("maximum"))
        if _num(schema.get("exclusiveMinimum")) is not None:
            low = _num(schema["exclusiveMinimum"]) + (1 if kind == "integer" else 0.5)
        if _num(schema.get("exclusiveMaximum")) is not None:
            high = _num(schema["exclusiveMaximum"]) - (1 if kind == "integer" else 0.5)
        if low is None and high is None:
            low, high = 0, 9
        elif low is None:
            low = high - 9
        elif high is None:
            high = low + 9
        floor_, ceil_ = math.ceil(low), math.floor(high)
        if floor_ <= ceil_:
            return self.rng.randint(floor_, ceil_) if ceil_ - floor_ < 1 << 62 else floor_
        return floor_ if kind == "integer" else (low + high) / 2

    def string(self, schema: dict) -> str:
        text = FORMATS.get(schema.get("format")) if isinstance(schema.get("format"), str) else None
        text = text or self.rng.choice(self.words)
        shortest = min(_int(schema.get("minLength"), 0), MAX_STRING)
        if len(text) < shortest:
            text += "x" * (shortest - len(text))
        longest = _int(schema.get("maxLength"), None)
        return text[:max(longest, 0)] if longest is not None else text


def _type_of(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str) and k != "null"), "null" if kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _num(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _int(value: Any, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default

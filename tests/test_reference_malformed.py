"""Hundreds of malformed requests to every endpoint: never a 5xx, and always the endpoint's error shape.

The bodies come from a seeded generator (not hypothesis) so that a failure
names its case number and reproduces exactly, and the whole run stays within a
few seconds: random JSON values, valid bodies with one field (top-level or
nested) replaced by junk, truncated JSON, bytes that are not JSON, huge
numbers, deep nesting, wrong content types, and random JSON Schemas where the
model must build an instance (tools, structured output).
"""

from __future__ import annotations

import json
import random

import httpx
import pytest

from conformance.catalogue import contract
from conformance.reference import ReferenceConfig, ReferenceServer

KEY = ReferenceConfig().api_key
CASES_PER_ENDPOINT = 300
SEED = 20260301
HI = [{"role": "user", "content": "Hello"}]
VALID = {
    "/chat/completions": {"model": "gpt-5.4", "messages": HI, "max_tokens": 8},
    "/completions": {"model": "gpt-5.4", "prompt": "Hello", "max_tokens": 8},
    "/responses": {"model": "gpt-5.4", "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
                   "max_output_tokens": 8},
    "/messages": {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": HI},
    "/models": None,
}
# Fields worth breaking, per endpoint, as paths into the valid body (ints index lists).
FIELDS = {
    "/chat/completions": [("model",), ("messages",), ("messages", 0), ("messages", 0, "role"),
                          ("messages", 0, "content"), ("temperature",), ("top_p",), ("n",), ("stream",), ("stop",),
                          ("max_tokens",), ("max_completion_tokens",), ("presence_penalty",), ("frequency_penalty",),
                          ("logprobs",), ("top_logprobs",), ("response_format",), ("tools",), ("tool_choice",),
                          ("stream_options",), ("seed",), ("user",), ("logit_bias",)],
    "/completions": [("model",), ("prompt",), ("temperature",), ("n",), ("stream",), ("stop",), ("max_tokens",),
                     ("echo",), ("logprobs",), ("best_of",), ("suffix",), ("seed",)],
    "/responses": [("model",), ("input",), ("input", 0), ("input", 0, "role"), ("input", 0, "content"),
                   ("input", 0, "content", 0), ("input", 0, "content", 0, "type"), ("instructions",),
                   ("max_output_tokens",), ("temperature",), ("top_p",), ("store",), ("stream",),
                   ("previous_response_id",), ("text",), ("tools",), ("tool_choice",), ("metadata",),
                   ("truncation",), ("parallel_tool_calls",)],
    "/messages": [("model",), ("max_tokens",), ("messages",), ("messages", 0), ("messages", 0, "role"),
                  ("messages", 0, "content"), ("system",), ("temperature",), ("top_p",), ("top_k",),
                  ("stop_sequences",), ("stream",), ("tools",), ("tool_choice",), ("metadata",)],
}
SCHEMA_KEYS = ("type", "properties", "items", "required", "enum", "const", "anyOf", "oneOf", "allOf", "$ref",
               "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minLength",
               "maxLength", "format", "prefixItems", "uniqueItems", "additionalProperties", "$defs")
TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


class Junk:
    """Seeded generators of bad values and bodies."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def scalar(self):
        return self.rng.choice([
            None, True, False, 0, -1, 1, 2, 3, 9, 129, 2 ** 31, 2 ** 63, -(2 ** 63), 10 ** 30, 1.5, -0.0, 2.0000001,
            1e308, -1e308, 1e-308, "", " ", "x", "gpt-5.4", "null", "0", "\u0000", "\ud800", "é" * 3, "ø" * 5000,
            "a" * 200, "[DONE]", "function", "json_schema", "user", "auto", "none", "required",
        ])

    def value(self, depth: int = 0):
        roll = self.rng.random()
        if depth > 3 or roll < 0.55:
            return self.scalar()
        if roll < 0.75:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))]
        return {self.rng.choice(["type", "role", "content", "text", "name", "x", "", "function"]): self.value(depth + 1)
                for _ in range(self.rng.randint(0, 4))}

    def schema(self, depth: int = 0):
        if depth > 3 or self.rng.random() < 0.2:
            return self.rng.choice([{}, True, False, {"type": self.rng.choice(TYPES)}, self.scalar()])
        out = {}
        for key in self.rng.sample(SCHEMA_KEYS, self.rng.randint(1, 5)):
            if key == "type":
                out[key] = self.rng.choice([*TYPES, list(TYPES[:3]), "nonsense", 5])
            elif key in ("properties", "$defs"):
                out[key] = {f"p{i}": self.schema(depth + 1) for i in range(self.rng.randint(0, 3))}
            elif key in ("items", "additionalProperties"):
                out[key] = self.schema(depth + 1)
            elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
                out[key] = [self.schema(depth + 1) for _ in range(self.rng.randint(0, 3))]
            elif key == "$ref":
                out[key] = self.rng.choice(["#", "#/properties/p0", "#/$defs/p1", "#/nope", "http://x/y", "#/items/0"])
            elif key == "required":
                out[key] = self.rng.choice([["p0", "p9"], [], "p0", [5]])
            elif key == "enum":
                out[key] = self.rng.choice([[], [1, "a"], "a", [None]])
            else:
                out[key] = self.scalar()
        return out

    def schema_body(self, endpoint: str) -> dict:
        """A valid body asking the model to build an instance of a random schema."""
        schema = self.schema()
        body = dict(VALID[endpoint], max_tokens=4096) if endpoint != "/responses" else dict(VALID[endpoint])
        if endpoint == "/chat/completions":
            body[self.rng.choice(["tools", "response_format"])] = self.rng.choice([
                [{"type": "function", "function": {"name": "f", "parameters": schema}}],
                {"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
            ])
        elif endpoint == "/responses":
            body[self.rng.choice(["tools", "text"])] = self.rng.choice([
                [{"type": "function", "name": "f", "parameters": schema}],
                {"format": {"type": "json_schema", "name": "s", "schema": schema}},
            ])
        elif endpoint == "/messages":
            body["tools"] = [{"name": "f", "input_schema": schema}]
        return body

    def replace(self, body: dict, path: tuple) -> dict:
        body = json.loads(json.dumps(body))
        node = body
        for step in path[:-1]:
            node = node[step]
        if self.rng.random() < 0.15 and isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            node[path[-1]] = self.value()
        return body

    def request(self, endpoint: str) -> tuple[bytes, str]:
        """(body bytes, content type) of one malformed request."""
        valid = VALID[endpoint] or {"model": "gpt-5.4"}
        text = json.dumps(valid)
        kind = self.rng.choice(["value", "field", "field", "field", "extra", "truncated", "bytes", "huge", "deep",
                                "content-type", "schema", "schema"])
        if kind == "value":
            return json.dumps(self.value()).encode(), "application/json"
        if kind == "field" and endpoint in FIELDS:
            return json.dumps(self.replace(valid, self.rng.choice(FIELDS[endpoint]))).encode(), "application/json"
        if kind == "extra":
            extra = {f"x_{self.rng.randint(0, 99)}": self.value() for _ in range(3)}
            return json.dumps({**valid, **extra}).encode(), "application/json"
        if kind == "truncated":
            return text[:self.rng.randint(0, len(text) - 1)].encode(), "application/json"
        if kind == "bytes":
            return bytes(self.rng.randint(0, 255) for _ in range(self.rng.randint(1, 64))), "application/json"
        if kind == "huge":
            number = self.rng.choice(["1e999", "-1e999", "9" * 5000, "1" + "0" * 400, "NaN", "Infinity", "1.0e+308"])
            field = self.rng.choice(["temperature", "max_tokens", "n", "max_output_tokens", "top_p", "model"])
            return text[:-1].encode() + f', "{field}": {number}}}'.encode(), "application/json"
        if kind == "deep":
            depth = self.rng.choice([100, 5000, 100_000])
            return (b'{"messages": ' + b"[" * depth + b"]" * depth + b"}"), "application/json"
        if kind == "content-type":
            return text.encode(), self.rng.choice(["text/plain", "application/x-www-form-urlencoded",
                                                   "multipart/form-data; boundary=x", "application/xml"])
        if kind == "schema" and endpoint in FIELDS and endpoint != "/completions":
            return json.dumps(self.schema_body(endpoint)).encode(), "application/json"
        return json.dumps(self.replace(valid, ("model",))).encode() if endpoint != "/models" else b"", "application/json"


@pytest.fixture(scope="module")
def http():
    with ReferenceServer() as server, httpx.Client(base_url=server.base_url, timeout=10,
                                                   headers={"Authorization": f"Bearer {KEY}"}) as client:
        yield client


def judge(endpoint: str, response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        schema = "AnthropicError" if endpoint == "/messages" else "OpenAIError"
        assert response.headers["content-type"] == "application/json"
        assert contract.validate(schema, response.json()) == [], response.text[:300]
    elif response.headers["content-type"] == "text/event-stream":
        assert response.content.endswith(b"\n\n")
    else:
        assert isinstance(response.json(), dict)


@pytest.mark.parametrize("endpoint", list(VALID))
def test_malformed_requests_never_5xx(http, endpoint):
    junk = Junk(SEED + len(endpoint))
    method = "GET" if endpoint == "/models" else "POST"
    statuses = []
    for case in range(CASES_PER_ENDPOINT):
        content, content_type = junk.request(endpoint)
        response = http.request(method, endpoint, content=content, headers={"Content-Type": content_type})
        try:
            judge(endpoint, response)
        except AssertionError as failure:
            raise AssertionError(f"case {case}: {content[:300]!r} ({content_type}) -> HTTP {response.status_code}: "
                                 f"{failure}") from None
        statuses.append(response.status_code)
    if endpoint != "/models":
        assert statuses.count(400) > CASES_PER_ENDPOINT // 3  # the generator mostly produces bad requests


def test_schema_fuzz_builds_valid_instances():
    """Where a random schema is well-formed, the model's instance of it validates (most of the time: the
    generator makes unsatisfiable schemas too, which the model cannot honour)."""
    import jsonschema

    from conformance.reference.model import instance

    junk, valid, checked = Junk(SEED), 0, 0
    for _ in range(400):
        schema = junk.schema()
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError:
            continue
        value = instance(schema, random.Random(1))
        json.dumps(value)
        try:
            valid += jsonschema.Draft202012Validator(schema).is_valid(value)
        except (jsonschema.exceptions._WrappedReferencingError, RecursionError):
            continue  # an unresolvable or endlessly self-referencing $ref: nothing to honour
        checked += 1
    assert checked > 100 and valid / checked > 0.6

"""JSON Schema instances: valid for the common keywords, deterministic, bounded, strings from the given words."""

from __future__ import annotations

import random

import jsonschema
import pytest

from conformance.reference.schema_instance import MAX_ITEMS, instance

WORDS = ("alpha", "beta")

SCHEMAS = [
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False},
    {"type": "array", "items": {"type": "integer", "minimum": 5, "maximum": 6}, "minItems": 3, "maxItems": 3},
    {"type": "string", "minLength": 20, "maxLength": 25},
    {"type": "string", "format": "date-time"},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    {"enum": ["red", "green"]},
    {"oneOf": [{"type": "null"}, {"type": "boolean"}]},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}, {"required": ["a", "b"]}]},
    {"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
     "$ref": "#/$defs/node"},
    {"type": ["null", "integer"]},
    {"type": "array", "prefixItems": [{"const": 1}, {"type": "string"}], "minItems": 2},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_instances_are_valid(schema):
    for seed in range(5):
        jsonschema.validate(instance(schema, random.Random(seed), WORDS), schema)


def test_same_random_source_same_instance():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}
    assert instance(schema, random.Random(7), WORDS) == instance(schema, random.Random(7), WORDS)


def test_strings_are_drawn_from_the_words():
    value = instance({"type": "array", "items": {"type": "string"}, "minItems": MAX_ITEMS}, random.Random(0), WORDS)
    assert len(value) == MAX_ITEMS and set(value) <= set(WORDS)


def test_hostile_schemas_give_a_value_not_an_exception():
    endless = {"$ref": "#"}
    wide = {"type": "array", "minItems": 10 ** 9, "items": {"type": "array", "minItems": 10 ** 9, "items": {}}}
    for schema in (endless, wide, {"$ref": "#/nowhere"}, {"type": "integer", "minimum": 5, "maximum": 1}, True, False, 3):
        instance(schema, random.Random(0), WORDS)
    assert len(instance(wide, random.Random(0), WORDS)) == MAX_ITEMS


def test_no_words_is_refused():
    with pytest.raises(ValueError, match="at least one word"):
        instance({"type": "string"}, random.Random(0), ())

"""The rule-based model: lossless tokens, deterministic replies, honoured limits, valid JSON answers."""

from __future__ import annotations

import json
import random

import jsonschema
import pytest

from conformance.reference.config import ModelInfo
from conformance.reference.model import (
    VOCABULARY,
    Format,
    Prompt,
    Tool,
    cap,
    choose_tool,
    count_tokens,
    generate,
    instance,
    tokenize,
)


def prompt_of(text: str) -> Prompt:
    prompt = Prompt()
    prompt.say("user", text)
    return prompt


@pytest.mark.parametrize("text", ["", "Hello, world!", "  two  spaces  ", "line\nbreak\n", "人工智能是让计算机",
                                  "don't-stop...now", "tab\tand émoji 🙂 end "])
def test_tokens_join_back_to_the_text(text):
    assert "".join(tokenize(text)) == text
    assert count_tokens(text) == len(tokenize(text))


def test_tokens_are_words_and_punctuation():
    assert tokenize("Slim, quiet keyboard.") == ["Slim", ",", " quiet", " keyboard", "."]
    assert tokenize("人工智能") == ["人", "工", "智", "能"]


def test_same_prompt_same_reply_and_choices_differ():
    one = generate(prompt_of("Hi"), model="m", limit=100)
    assert one == generate(prompt_of("Hi"), model="m", limit=100)
    assert one.text != generate(prompt_of("Hi"), model="m", limit=100, choice=1).text
    assert one.text != generate(prompt_of("Hi"), model="other", limit=100).text
    assert one.text != generate(prompt_of("Hi"), model="m", limit=100, seed=3).text
    assert 10 <= len(one.tokens) <= 40 and one.finish == "stop"


def test_limit_and_stop_sequences():
    full = generate(prompt_of("Hi"), model="m", limit=100)
    cut = generate(prompt_of("Hi"), model="m", limit=3)
    assert cut.tokens == full.tokens[:3] and cut.finish == "length"
    word = full.text.split()[2]
    stopped = generate(prompt_of("Hi"), model="m", limit=100, stop=("zzz", word))
    assert stopped.text == full.text[:full.text.index(word)]
    assert stopped.finish == "stop_sequence" and stopped.stop_sequence == word


def test_count_to_n():
    out = generate(prompt_of("count to 200"), model="m", limit=4096)
    assert out.tokens == tuple(str(i) if i == 1 else f" {i}" for i in range(1, 201))
    assert len(generate(prompt_of("count to 100000"), model="m", limit=50).tokens) == 50


def test_input_tokens():
    prompt = prompt_of("Hello there")
    assert prompt.tokens == 2 + 3 + 3
    prompt.images, prompt.files = 1, 1
    assert prompt.tokens == 8 + 85 + 100


def test_cap():
    info = ModelInfo("m", "o", 1, 4096)
    assert cap(None, info) == 4096 and cap(10 ** 9, info) == 4096 and cap(16, info) == 16


def test_choose_tool():
    tools = [Tool("a"), Tool("b")]
    assert choose_tool(tools, "auto", None, prompt_of("x")) == tools[0]
    assert choose_tool(tools, "none", None, prompt_of("x")) is None
    assert choose_tool(tools, "required", "b", prompt_of("x")) == tools[1]
    answered = prompt_of("x")
    answered.tool_result("42")
    assert choose_tool(tools, "auto", None, answered) is None
    assert choose_tool(tools, "required", None, answered) == tools[0]
    assert choose_tool([], "required", None, prompt_of("x")) is None


def test_the_models_instances_speak_its_vocabulary():
    value = instance({"type": "array", "items": {"type": "string"}, "minItems": 4}, random.Random(0))
    assert len(value) == 4 and set(value) <= set(VOCABULARY)


def test_json_formats_and_tool_arguments():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    out = generate(prompt_of("x"), model="m", limit=100, fmt=Format("json_schema", schema))
    jsonschema.validate(json.loads(out.text), schema)
    assert json.loads(generate(prompt_of("x"), model="m", limit=100, fmt=Format("json_object")).text)
    call = generate(prompt_of("x"), model="m", limit=100, tool=Tool("f", schema))
    assert call.tool == "f" and call.finish == "tool" and "".join(call.tokens) == call.text
    assert generate(prompt_of("x"), model="m", limit=2, tool=Tool("f", schema)).finish == "length"


def test_behaviours_echo_and_terse_keep_what_the_server_enforces():
    """The echo and terse models say what they say, but the cut, the stop, a forced tool and JSON modes hold."""
    asked = prompt_of("Repeat this passage exactly: one two three four five six seven")
    assert generate(asked, model="m", limit=100).text == "one two three four five six seven"
    echo = generate(asked, model="m", limit=100, behaviour="echo")
    assert echo.text == asked.last_user_text() and echo.finish == "stop"
    assert generate(asked, model="m", limit=100, behaviour="terse").text == "Noted"
    cut = generate(asked, model="m", limit=3, behaviour="echo")
    assert len(cut.tokens) == 3 and cut.finish == "length"
    stopped = generate(asked, model="m", limit=100, stop=("four",), behaviour="echo")
    assert stopped.text.endswith("three ") and stopped.finish == "stop_sequence" and stopped.stop_sequence == "four"
    assert json.loads(generate(asked, model="m", limit=100, fmt=Format("json_object"), behaviour="terse").text)
    tools = [Tool("a")]
    assert choose_tool(tools, "auto", None, prompt_of("x"), "echo") is None
    assert choose_tool(tools, "required", "a", prompt_of("x"), "terse") == tools[0]
    assert generate(asked, model="m", limit=100, tool=tools[0], behaviour="echo").tool == "a"

"""The `-k` grammar of `certify`: pytest's (and, or, not, parentheses; case-insensitive substrings), pinned here."""

from __future__ import annotations

import pytest

from conformance.run.keyword import keyword_filter

NAMES = [
    "CHAT-STREAM-004@chat_stream POST /chat/completions",
    "RESP-001@responses_basic POST /responses",
    "SDK-002@sdk_openai_responses POST /responses",
    "MODELS-001@models_list GET /models",
]


def chosen(expression: str) -> list[str]:
    matches = keyword_filter(expression)
    return [name.split("@")[0] for name in NAMES if matches(name)]


@pytest.mark.parametrize(("expression", "expected"), [
    ("", ["CHAT-STREAM-004", "RESP-001", "SDK-002", "MODELS-001"]),
    ("CHAT-STREAM", ["CHAT-STREAM-004"]),  # README: -k CHAT-STREAM
    ("chat-stream", ["CHAT-STREAM-004"]),  # case does not matter
    ("responses and not SDK", ["RESP-001"]),  # README: -k "responses and not SDK"
    ("MODELS or RESP-", ["RESP-001", "MODELS-001"]),
    ("not (MODELS or RESP-)", ["CHAT-STREAM-004", "SDK-002"]),
    ("/models", ["MODELS-001"]),  # the endpoint is part of the name
    ("POST and not /chat/completions and not sdk", ["RESP-001"]),
    ("not not MODELS", ["MODELS-001"]),
    ("MODELS or RESP- and SDK", ["MODELS-001"]),  # and binds tighter than or
    ("(MODELS or RESP) and not sdk", ["RESP-001", "MODELS-001"]),
    ("models_list", ["MODELS-001"]),  # the case id is part of the name
    ("NOTHING_MATCHES_THIS", []),
])
def test_the_grammar(expression, expected):
    assert chosen(expression) == expected


@pytest.mark.parametrize(("expression", "where"), [
    ("CHAT and (", "column 11: expected a word"),
    ("(CHAT", "column 6: expected ')'"),
    ("CHAT RESP", "column 6: expected 'and', 'or' or the end"),
    ("and CHAT", "column 1: expected a word"),
    ("CHAT or", "column 8: expected a word"),
    ("CHAT )", "column 6: expected 'and', 'or' or the end"),
    ("CHAT & RESP", "column 6: unexpected character '&'"),
])
def test_a_malformed_expression_is_a_one_line_value_error_that_names_it(expression, where):
    with pytest.raises(ValueError) as raised:
        keyword_filter(expression)
    assert str(raised.value).startswith(f"-k {expression!r}: ") and where in str(raised.value)
    assert "\n" not in str(raised.value)

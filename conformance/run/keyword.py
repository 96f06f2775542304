"""`certify -k EXPR`: pytest's keyword grammar, so a check is chosen the same way on the command line and in pytest.

    expression := [ expr ]                 (an empty expression keeps everything)
    expr       := and_expr ( "or" and_expr )*
    and_expr   := not_expr ( "and" not_expr )*
    not_expr   := "not" not_expr | "(" expr ")" | word
    word       := one or more letters, digits, _ : + - . [ ] \\ /

A word matches a name that contains it, ignoring case: `-k CHAT-STREAM`,
`-k "responses and not SDK"`. Written here (pytest's own parser is private)
and pinned by tests/test_keyword.py.
"""

from __future__ import annotations

import re
from typing import Callable

_TOKEN = re.compile(r"\s*(?:(?P<paren>[()])|(?P<word>[\w:+\-.\[\]\\/]+)|(?P<bad>\S))")
_OPERATORS = ("and", "or", "not")

Matcher = Callable[[str], bool]


def keyword_filter(expression: str) -> Matcher:
    """A test of a check's name against the expression; a malformed expression is a ValueError said in one line."""
    parser = _Parser(expression)
    matcher = parser.expression()
    return lambda name: matcher(name.lower())


class _Parser:
    """Recursive descent over the tokens, building the matcher as it goes."""

    def __init__(self, expression: str) -> None:
        self.text = expression
        self.tokens: list[tuple[str, int]] = []  # (token, column), "" at the end
        for found in _TOKEN.finditer(expression):
            if found.group("bad"):
                self.fail(found.start("bad"), f"unexpected character {found.group('bad')!r}")
            kind = "paren" if found.group("paren") else "word"
            self.tokens.append((found.group(kind), found.start(kind)))
        self.tokens.append(("", len(expression)))
        self.at = 0

    def fail(self, column: int, why: str) -> None:
        raise ValueError(f"-k {self.text!r}: at column {column + 1}: {why}")

    def peek(self) -> str:
        return self.tokens[self.at][0]

    def take(self) -> str:
        token = self.tokens[self.at][0]
        self.at += 1
        return token

    def expression(self) -> Matcher:
        if self.peek() == "":
            return lambda name: True
        matcher = self.any_of()
        if self.peek() != "":
            self.fail(self.tokens[self.at][1], f"expected 'and', 'or' or the end; got {self.peek()!r}")
        return matcher

    def any_of(self) -> Matcher:
        parts = [self.all_of()]
        while self.peek() == "or":
            self.take()
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else lambda name: any(part(name) for part in parts)

    def all_of(self) -> Matcher:
        parts = [self.negated()]
        while self.peek() == "and":
            self.take()
            parts.append(self.negated())
        return parts[0] if len(parts) == 1 else lambda name: all(part(name) for part in parts)

    def negated(self) -> Matcher:
        column = self.tokens[self.at][1]
        token = self.take()
        if token == "not":
            inner = self.negated()
            return lambda name: not inner(name)
        if token == "(":
            inner = self.any_of()
            if self.peek() != ")":
                self.fail(self.tokens[self.at][1], f"expected ')'; got {self.peek() or 'the end'!r}")
            self.take()
            return inner
        if token in ("", ")") or token in _OPERATORS:
            self.fail(column, f"expected a word, 'not' or '('; got {token or 'the end'!r}")
        word = token.lower()
        return lambda name: word in name

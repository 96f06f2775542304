"""The mix: which of the suite's cases a load run sends, and how often (weights)."""

from __future__ import annotations

from ..suite.case import Case
from ..suite.cases import CASES

# The names --mix understands, and the suite case each one sends.
MIX_CASES = {
    "chat": "chat_basic",
    "chat-stream": "chat_stream_default_usage",
    "responses": "responses_basic",
    "responses-stream": "responses_stream",
    "messages": "messages_basic",
    "messages-stream": "messages_stream",
}
DEFAULT_MIX = "chat-stream=5,responses-stream=2,messages-stream=2,chat=1"


class MixError(ValueError):
    """A --mix that cannot be read: said in one line."""


def parse_mix(text: str) -> tuple[tuple[str, int], ...]:
    """`chat-stream=5,chat=1` (a bare name weighs 1) as ((name, weight), ...), weights >= 0, at least one positive."""
    weights: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, weight = (part.strip() for part in item.partition("="))
        if name not in MIX_CASES:
            raise MixError(f"--mix: unknown case {name!r}; choose from {', '.join(MIX_CASES)}")
        if name in weights:
            raise MixError(f"--mix: {name!r} is given twice")
        if sep and not weight.isdigit():
            raise MixError(f"--mix: the weight of {name!r} must be a whole number >= 0, got {weight!r}")
        weights[name] = int(weight) if sep else 1
    if not any(weights.values()):
        raise MixError(f"--mix: no case with a positive weight in {text!r}")
    return tuple((name, weight) for name, weight in weights.items() if weight > 0)


def case_of(name: str) -> Case:
    case_id = MIX_CASES[name]
    return next(case for case in CASES if case.id == case_id)

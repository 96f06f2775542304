"""Shaping generated requests before they are sent, without changing whether they are valid.

The model becomes one the target serves (a random model ID only ever meets a
404), output-token limits are capped so live runs stay cheap, and a positive
case on a streaming operation can be asked to stream, so stream events are
validated too.
"""

from __future__ import annotations

from typing import Any

from ..catalogue.requirements import CHAT, COMPLETIONS, MESSAGES, RESPONSES
from .schemathesis_api import Case, is_positive

OUTPUT_TOKEN_CAP = 16
MODEL_ID_MAX = 128
STREAMING = frozenset({CHAT, RESPONSES, MESSAGES})
TOKEN_LIMITS = {
    CHAT: ("max_tokens", "max_completion_tokens"),
    COMPLETIONS: ("max_tokens",),
    RESPONSES: ("max_output_tokens",),
    MESSAGES: ("max_tokens",),
}


def shape(case: Case, model: str, messages_model: str, stream: bool = False) -> None:
    """Make a generated case worth sending, without changing whether it is valid.

    A schema-valid model ID is replaced by one the target serves (an invalid one is
    the violation under test and stays); a valid output-token limit above the cap is
    lowered to it; a positive case gets a limit when it has none, and `stream: true`
    when asked.
    """
    if not isinstance(case.body, dict):
        return
    body = dict(case.body)  # generated bodies can share dicts with the schema's examples: never edit in place
    label = case.operation.label
    positive = is_positive(case)
    value = body.get("model")
    if positive or (isinstance(value, str) and 1 <= len(value) <= MODEL_ID_MAX):
        body["model"] = messages_model if label == MESSAGES else model
    limits = TOKEN_LIMITS.get(label, ())
    for name in limits:
        value = body.get(name)
        if is_integral(value) and value > OUTPUT_TOKEN_CAP:
            body[name] = OUTPUT_TOKEN_CAP
    if positive and limits and not any(body.get(name) is not None for name in limits):
        body[limits[0]] = OUTPUT_TOKEN_CAP
    if positive and stream and label in STREAMING:
        body["stream"] = True
    case.body = body


def is_integral(value: Any) -> bool:
    """An integer as JSON Schema sees it: 16 and 16.0 alike, never a boolean."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or isinstance(value, float) and value.is_integer()

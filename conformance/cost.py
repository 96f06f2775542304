"""What a run spends: requests sent and tokens the target reported.

Live runs cost money (a minimum charge per request), so every request is
counted and the report states the bill.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .exchange import Exchange


def _usage_numbers(usage: object) -> tuple[int, int]:
    if not isinstance(usage, dict):
        return 0, 0
    inp = usage.get("input_tokens", usage.get("prompt_tokens", 0))
    out = usage.get("output_tokens", usage.get("completion_tokens", 0))
    return (inp if isinstance(inp, int) else 0), (out if isinstance(out, int) else 0)


def tokens_spent(exchange: Exchange) -> tuple[int, int]:
    """Input and output tokens the target reported for one exchange (0, 0 when it reported none)."""
    if exchange.events is None:
        body = exchange.json()
        return _usage_numbers(body.get("usage")) if isinstance(body, dict) else (0, 0)
    inp = out = 0
    for event in exchange.events:
        data = event.json()
        if not isinstance(data, dict):
            continue
        kind = data.get("type")
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            response = data.get("response")
            inp, out = _usage_numbers(response.get("usage") if isinstance(response, dict) else None)
        elif kind == "message_start":
            message = data.get("message")
            inp = _usage_numbers(message.get("usage") if isinstance(message, dict) else None)[0]
        elif kind == "message_delta":
            out = _usage_numbers(data.get("usage"))[1] or out
        elif data.get("usage"):
            inp, out = _usage_numbers(data["usage"])
    return inp, out


@dataclass
class Cost:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0  # requests sent again after a rate limit (each also counted in `requests`)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, requests: int = 1, input_tokens: int = 0, output_tokens: int = 0, retries: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            self.retries += retries

    def add_exchange(self, exchange: Exchange) -> None:
        self.add(1, *tokens_spent(exchange))

    def as_dict(self) -> dict[str, int]:
        return {"requests": self.requests, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "retries": self.retries}

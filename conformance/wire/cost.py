"""What a run spends: requests sent and tokens the target reported.

Live runs cost money (a minimum charge per request), so every request is
counted and the report states the bill.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from .exchange import Exchange
from .sse import Event


def _usage_numbers(usage: object) -> tuple[int, int]:
    if not isinstance(usage, dict):
        return 0, 0
    inp = usage.get("input_tokens", usage.get("prompt_tokens", 0))
    out = usage.get("output_tokens", usage.get("completion_tokens", 0))
    return (inp if isinstance(inp, int) else 0), (out if isinstance(out, int) else 0)


def tokens_spent(exchange: Exchange) -> tuple[int, int]:
    """Input and output tokens the target reported for one exchange (0, 0 when it reported none)."""
    body = exchange.json() if exchange.events is None else None
    return reported_usage(body, exchange.events) or (0, 0)


def reported_usage(body: object, events: Iterable[Event] | None = None) -> tuple[int, int] | None:
    """Input and output tokens a JSON body (or, when given, a stream's events) reports; None when none carries usage."""
    if events is None:
        usage = body.get("usage") if isinstance(body, dict) else None
        return _usage_numbers(usage) if isinstance(usage, dict) else None
    found = False
    inp = out = 0
    for event in events:
        data = event.json()
        if not isinstance(data, dict):
            continue
        kind = data.get("type")
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            response = data.get("response")
            usage = response.get("usage") if isinstance(response, dict) else None
            found = found or isinstance(usage, dict)
            inp, out = _usage_numbers(usage)
        elif kind == "message_start":
            message = data.get("message")
            usage = message.get("usage") if isinstance(message, dict) else None
            found = found or isinstance(usage, dict)
            inp = _usage_numbers(usage)[0]
        elif kind == "message_delta":
            found = found or isinstance(data.get("usage"), dict)
            out = _usage_numbers(data.get("usage"))[1] or out
        elif data.get("usage"):
            found = found or isinstance(data["usage"], dict)
            inp, out = _usage_numbers(data["usage"])
    return (inp, out) if found else None


@dataclass
class Cost:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0  # attempts beyond the first of a request: a rate limit waited out, a broken connection (each
    # also counted in `requests`)
    unknown_usage: int = 0  # answers that should have reported usage (fuzzed 2xx on generating operations) but did not
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, requests: int = 1, input_tokens: int = 0, output_tokens: int = 0, unknown_usage: int = 0,
            retries: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            self.unknown_usage += unknown_usage
            self.retries += retries

    def take_retry(self, limit: int | None) -> bool:
        """Count one more attempt of a request already sent, unless `limit` retries were already made (None: no
        limit): the caller then keeps the answer it has."""
        with self._lock:
            if limit is not None and self.retries >= limit:
                return False
            self.retries += 1
            return True

    def add_exchange(self, exchange: Exchange) -> None:
        self.add(1, *tokens_spent(exchange))

    def as_dict(self) -> dict[str, int]:
        spent = {"requests": self.requests, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                 "retries": self.retries}
        return spent | ({"unknown_usage": self.unknown_usage} if self.unknown_usage else {})


def plural(count: int, one: str, many: str | None = None) -> str:
    """`one` or its plural, as `count` asks: 1 case, 2 cases."""
    return one if count == 1 else many or one + "s"


def describe(spent: dict) -> str:
    """The bill in one line, as every report prints it: requests (retries), tokens, and tokens nobody reported."""
    retries = f" ({spent['retries']} {plural(spent['retries'], 'retry', 'retries')})" if spent.get("retries") else ""
    unknown = (f"; {spent['unknown_usage']} fuzzed answers carried no usage, their tokens unknown"
               if spent.get("unknown_usage") else "")
    return (f"cost: {spent.get('requests', 0)} requests{retries}, {spent.get('input_tokens', 0)} input tokens, "
            f"{spent.get('output_tokens', 0)} output tokens{unknown}")

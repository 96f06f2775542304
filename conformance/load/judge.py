"""One answer under load: how it ended on the wire, what the case's own checks say of it, and its timings.

The checks are the suite's, called exactly as `certify` calls them; only the
bookkeeping around them is load's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..suite.case import Check, Context, Failed, NotJudged, Skipped, Unsupported
from ..wire.cost import tokens_spent
from ..wire.exchange import Exchange, mask

# HTTP outcomes, in the order a report lists them.
OK, CLIENT_ERROR = "2xx", "4xx"
RATE_LIMITED, RATE_LIMITED_BARE = "429 with Retry-After", "429 without Retry-After"
UNAVAILABLE, SERVER_ERROR = "503 with Retry-After", "5xx"
TIMEOUT, TRANSPORT = "timeout", "transport error"
HTTP_OUTCOMES = (OK, RATE_LIMITED, RATE_LIMITED_BARE, UNAVAILABLE, SERVER_ERROR, CLIENT_ERROR, TIMEOUT, TRANSPORT)
# The gateway protecting itself, with the time to come back: reported, never judged against the case's checks.
THROTTLED = frozenset({RATE_LIMITED, UNAVAILABLE})


@dataclass(frozen=True)
class Verdict:
    """What one check said of one answer: passed, failed (with the violation), skipped or error."""

    requirement: str
    outcome: str
    expected: str = ""
    actual: str = ""


def http_outcome(x: Exchange) -> str:
    if x.status is None:
        return TIMEOUT if (x.failure or "").startswith("deadline") else TRANSPORT
    if (x.failure or "").startswith("deadline"):
        return TIMEOUT
    retry_after = "retry-after" in x.headers
    if x.status == 429:
        return RATE_LIMITED if retry_after else RATE_LIMITED_BARE
    if x.status == 503 and retry_after:
        return UNAVAILABLE
    if x.status >= 500:
        return SERVER_ERROR
    if x.status >= 400:
        return CLIENT_ERROR
    return OK


def judge(checks: tuple[Check, ...], exchanges: list[Exchange], ctx: Context) -> list[Verdict]:
    """Every check over the case's exchanges, with what it found masked of any key."""
    secrets = ctx.secrets
    out = []
    for check in checks:
        try:
            check.judge(exchanges, ctx)
            out.append(Verdict(check.requirement, "passed"))
        except Failed as exc:
            out.append(Verdict(check.requirement, "failed", mask(exc.expected, *secrets), mask(exc.actual, *secrets)))
        except Unsupported as exc:
            out.append(Verdict(check.requirement, "skipped", actual=mask(f"not supported: {exc}", *secrets)))
        except NotJudged as exc:
            out.append(Verdict(check.requirement, "skipped", actual=mask(f"not judged: {exc}", *secrets)))
        except Skipped as exc:
            out.append(Verdict(check.requirement, "skipped", actual=mask(str(exc), *secrets)))
        except Exception as exc:  # the check itself broke: an error, not a verdict on the server
            out.append(Verdict(check.requirement, "error", actual=mask(f"{type(exc).__name__}: {exc}", *secrets)))
    return out


def carries_token(data: object) -> bool:
    """Whether a stream event's data carries generated output (a chat delta, a Responses or Anthropic delta)."""
    if not isinstance(data, dict):
        return False
    kind = data.get("type")
    if isinstance(kind, str):
        return kind == "content_block_delta" or (kind.startswith("response.") and kind.endswith(".delta"))
    choices = data.get("choices")
    if not isinstance(choices, list):
        return False
    for choice in choices:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and (delta.get("content") or delta.get("tool_calls")):
            return True
    return False


@dataclass(frozen=True)
class Timings:
    """An answer's timings in seconds: first byte, first token (streams), gaps between events, output tokens/s."""

    ttfb_s: float | None
    ttft_s: float | None
    gaps_s: tuple[float, ...]
    total_s: float
    output_tokens: int
    input_tokens: int
    tokens_per_s: float | None


def timings(x: Exchange) -> Timings:
    ttft = None
    times = x.event_times or []
    for event, at in zip(x.events or [], times, strict=False):
        if carries_token(event.json()):
            ttft = at
            break
    gaps = tuple(b - a for a, b in zip(times, times[1:], strict=False))
    inp, out = tokens_spent(x) if x.status is not None and x.status < 300 else (0, 0)
    generating = x.elapsed_s - (ttft or 0.0)
    return Timings(x.headers_s, ttft, gaps, x.elapsed_s, out, inp, out / generating if out and generating > 0 else None)

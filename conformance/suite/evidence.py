"""EVIDENCE: what the server, not the model, shows in an answer, so no verdict rests on what a model chose to say.

Two kinds of evidence:

- a limit reached: a cut answer must say it was cut ("length", "max_tokens",
  "incomplete") only when its usage shows it reached the limit
  (`reached_limit`); below the limit the model simply ended, and the rule is
  not judged;
- context carried: the server counts input tokens over everything it passes
  to the model, so a conversation, `instructions`, a `system` prompt, a stored
  response, an image or a file shows as input tokens above those of the same
  question sent without it (`carried`). The growth must be at least half the
  words of the text carried (every tokenizer cuts a word into one token or
  more); an image or a file must add something. No usage to compare leaves
  the rule not judged, with that reason; usage that does not grow fails.

The requests are chosen so any model, an echo included, produces what a check
observes: a passage to repeat longer than the limit, a passage to repeat that
holds the stop sequence.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..wire.exchange import Exchange
from .case import Failed, NotJudged
from .expect import json_object, show

# A passage every model repeats, an echo included (it repeats the whole request): far longer than any limit the
# suite asks for (5 on chat and /messages, 16 on /responses), and twice that, so a gateway that raises a limit
# is caught too.
PASSAGE = ("A gateway passes each request to a model and passes the answer back. It counts the tokens it reads "
           "and writes, it cuts a long answer at the limit the client set, and it says why the answer stopped. "
           "Every promise it makes is one a client can test, and every test in this suite is one small request "
           "with a small limit, so a run costs little.")
REPEAT_PASSAGE = f"Repeat this passage exactly: {PASSAGE}"
CUT_LIMIT = 5  # chat max_tokens / max_completion_tokens and /messages max_tokens: below any answer to the passage
# A line holding the stop sequence early, so any model that repeats it reaches the stop within a small limit.
STOP = "7"
BEFORE_STOP = "1 2 3 4 5 6"
REPEAT_STOP_LINE = f"Repeat this line exactly: {BEFORE_STOP} {STOP} 8 9 10"


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def usage_count(body: Any, key: str) -> int | None:
    """An integer usage count of a JSON answer (`usage.<key>`), or None when the server reported none."""
    usage = body.get("usage") if isinstance(body, dict) else None
    value = usage.get(key) if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def reached_limit(used: int | None, limit: int, what: str, rule: str) -> None:
    """Go on judging a cut-answer rule only when the answer reached the limit; else it is not judged."""
    if used is None:
        raise NotJudged(f"no {what} reported, so whether the answer reached the limit of {limit} is unknown; {rule} "
                        "is judged only on an answer that did")
    if used < limit:
        raise NotJudged(f"{what} {used} below the limit of {limit}: the model ended before it, so {rule} is not "
                        "judged")


def stream_to_judge(x: Exchange, judged_by: str) -> list[dict]:
    """The JSON events of a stream, for a check of what a stream holds; not judged when no event stream came (the
    stream checks `judged_by` name judge that)."""
    if x.failure or x.status is None or not 200 <= x.status < 300 or not x.is_event_stream or not x.events:
        raise NotJudged(f"no event stream to read ({x.failure or f'HTTP {x.status} {x.content_type}'}); "
                        f"{judged_by} judge that")
    return [data for event in x.events if isinstance(data := event.json(), dict)]


def baseline_of(xs: Sequence[Exchange], index: int = 0) -> dict:
    """The answer to the same question without the context: the JSON of a 2xx, else not judged."""
    if len(xs) <= index or xs[index].failure or xs[index].status is None or not 200 <= xs[index].status < 300:
        seen = "no request" if len(xs) <= index else xs[index].failure or f"HTTP {xs[index].status}"
        raise NotJudged(f"the same question without the context got no 2xx answer to compare with ({seen})")
    return json_object(xs[index])


def carried(without: dict, with_: dict, key: str, what: str, carried_words: int | None = None) -> None:
    """`with_` carried its context: its usage `key` exceeds `without`'s by half the context's words (by one at least,
    for an image or a file, `carried_words` None)."""
    before, after = usage_count(without, key), usage_count(with_, key)
    if before is None or after is None:
        missing = "either answer" if before is None and after is None else "the answer without it" if before is None \
            else "the answer with it"
        raise NotJudged(f"no usage.{key} in {missing} to compare: whether the {what} reached the model is not "
                        "judged")
    needed = max(1, (carried_words or 0) // 2)
    if after - before < needed:
        raise Failed(f"usage.{key} at least {before + needed} with the {what} ({before} without it, plus "
                     f"{'something for it' if carried_words is None else f'half its {carried_words} words'})",
                     f"{key} {after}: the {what} did not reach the model")


def nth(xs: Sequence[Exchange], index: int, what: str) -> Exchange:
    """The case's request at `index`, which the check judges; failed when it was never sent."""
    if len(xs) <= index:
        raise Failed(f"an answer to the request with {what}", "the request was not sent (an earlier one did not "
                     "complete)")
    return xs[index]


def ends_before_stop(text: str) -> bool:
    """The text stops exactly where the stop sequence of the line to repeat would begin: the model reached it."""
    return text.rstrip().endswith(BEFORE_STOP)


def stop_problems(text: Any, stops: Sequence[str]) -> list[str]:
    hits = [s for s in stops if isinstance(text, str) and s in text]
    return [f"the text contains {show(hits[0])}: {show(text, 120)}"] if hits else []

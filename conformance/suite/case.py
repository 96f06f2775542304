"""Cases as data: what to send, and which requirement each check over the answer judges.

A case makes one or a few requests (its steps) and hands the recorded
exchanges to its checks. A check is a pure function of those exchanges and the
run's context: it returns when the requirement holds and raises `Failed`
(expected, actual), `Skipped` (cannot be judged here), `NotJudged` (a skip of
its own kind: the answer holds no evidence the server controls, say why) or
`Unsupported` (an optional capability the server declines properly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..wire.exchange import Exchange, Request

if TYPE_CHECKING:
    from ..wire.target import Caller, Target


MAX_VIOLATIONS = 5


class Failed(AssertionError):
    """The requirement does not hold: what was expected, what came, and every distinct violation found."""

    def __init__(self, expected: str, actual: str, violations: Sequence[str] = ()) -> None:
        super().__init__(f"expected {expected}; got {actual}")
        self.expected = expected
        self.actual = actual
        self.violations = list(violations)


class Violations:
    """Collects every distinct violation a check finds, so one report names them all, not only the first.

    A check adds one line per violation and calls `settle()` at the end, which
    fails with the first as `actual` and all of them listed. The same problem
    found in many places (`add(what, where="event 3")`) is one violation that
    names its places, so a fault repeated on every event does not hide a
    different one behind the report's cap.
    """

    PLACES_SHOWN = 3

    def __init__(self, expected: str) -> None:
        self.expected = expected
        self._places: dict[str, list[str]] = {}

    def add(self, actual: str, where: str | None = None) -> None:
        places = self._places.setdefault(actual, [])
        if where is not None and where not in places:
            places.append(where)

    @property
    def found(self) -> list[str]:
        """Each distinct violation, in the order first seen, prefixed by where it was found."""
        return [self._render(actual, places) for actual, places in self._places.items()]

    def _render(self, actual: str, places: list[str]) -> str:
        if not places:
            return actual
        shown = ", ".join(places[: self.PLACES_SHOWN])
        more = f" and {len(places) - self.PLACES_SHOWN} more" if len(places) > self.PLACES_SHOWN else ""
        return f"{shown}{more}: {actual}"

    def __bool__(self) -> bool:
        return bool(self._places)

    def settle(self) -> None:
        found = self.found
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            raise Failed(self.expected, found[0] + more, found)


class Skipped(Exception):
    """The requirement cannot be judged in this run (say why)."""


class Unsupported(Exception):
    """An optional capability that the server declines with a proper error."""


class NotJudged(Skipped):
    """The answer holds no evidence to judge the requirement by, and only the model could have given it (it
    answered too briefly to reach a limit, the server reported no usage to compare): say why. A check never
    fails a server for what its model chose to say."""


@dataclass(frozen=True)
class Context:
    """What checks may know about the run; the key itself stays in `target` and never reaches a report."""

    target: Target
    model: str
    messages_model: str
    models: tuple[str, ...] = ()  # every model this run tests (MODELS-002 asks that each is listed)
    upstream: str | None = None  # whose capacity the requests use: the model they reach, None when they reach none

    @property
    def profile(self) -> str:
        return self.target.profile

    @property
    def replay(self) -> bool:
        return self.target.kind == "replay"

    @property
    def never_echoed(self) -> tuple[str, ...]:
        """Strings no response body may contain: the wrong key always, the real key when this run knows it.

        A key shorter than 6 characters could turn up in a body by chance, so AUTH-005 does not look for it."""
        from ..wire.target import WRONG_KEY

        key = self.target.api_key
        return (WRONG_KEY,) if self.replay or len(key) < 6 else (WRONG_KEY, key)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings masked in everything a report shows: both keys, however short the real one (a replay has none)."""
        from ..wire.target import WRONG_KEY

        return (WRONG_KEY,) if self.replay or not self.target.api_key else (WRONG_KEY, self.target.api_key)


BuildRequest = Callable[[Context, Sequence[Exchange]], "Request | None"]  # None: no further request is needed
CheckFn = Callable[..., None]


@dataclass(frozen=True)
class Step:
    """One request of a case, built from the run's context and the exchanges before it (None: send nothing).

    A step builds with no earlier exchanges too, giving the request it would send first: that is how a plan
    counts what a case may cost before anything is sent. The one exception is declared: a step sent only when
    the request before it was refused (a probe's option sent alone) needs that answer, so a plan never builds
    it and a live run's budget does not count it.
    """

    build: BuildRequest
    only_when_refused: bool = False

    def __call__(self, ctx: Context, earlier: Sequence[Exchange]) -> Request | None:
        return self.build(ctx, earlier)

    def planned(self, ctx: Context) -> Request | None:
        """The request a plan counts for this step, before anything was sent; None when it needs an answer first."""
        return None if self.only_when_refused else self.build(ctx, ())


@dataclass(frozen=True)
class Check:
    """One requirement judged over a case's exchanges (the last one, unless `whole` asks for all)."""

    requirement: str
    fn: CheckFn
    whole: bool = False

    def judge(self, exchanges: Sequence[Exchange], ctx: Context) -> None:
        self.fn(list(exchanges) if self.whole else exchanges[-1], ctx)


@dataclass(frozen=True)
class Case:
    """Requests to make and checks over what came back.

    `steps` build requests in order (a step may read earlier exchanges, e.g. a
    stored response's id, and return None to send nothing, e.g. a follow-up only
    needed when the first request was refused). `perform` replaces steps for
    cases that must talk through a client library, such as the official SDKs.
    A case that does not depend on the model (`per_model=False`: the model
    list, auth probes, unknown models) runs once in a model matrix; every other
    case runs once per model.
    """

    id: str
    endpoint: str
    checks: tuple[Check, ...]
    steps: tuple[Step, ...] = ()
    perform: Callable[[Caller, Context], list[Any]] | None = None
    per_model: bool = True
    streams: bool = False  # its answer is a stream (also when its id says so): it takes longer, so it starts sooner

    def __post_init__(self) -> None:
        """A plain function among the steps is a step that needs nothing from the answers before it to be planned."""
        object.__setattr__(self, "steps", tuple(s if isinstance(s, Step) else Step(s) for s in self.steps))

    @property
    def weight(self) -> int:
        """How long the case tends to take, relatively: a session starts the longest first, so none ends the run alone."""
        return max(1, len(self.steps)) + (self.streams or "stream" in self.id)

    @property
    def most_requests(self) -> int:
        """The most requests this case can send (before rate-limit retries): what a plan counts."""
        return len(self.steps) if self.perform is None else 1

    def run(self, caller: Caller, ctx: Context) -> list[Any]:
        if self.perform is not None:
            return self.perform(caller, ctx)
        exchanges: list[Exchange] = []
        for step in self.steps:
            request = step(ctx, exchanges)
            if request is None:  # a step that reads the earlier answers and decides nothing more is needed
                continue
            exchange = caller.call(request, ctx.upstream)
            exchanges.append(exchange)
            if exchange.failure or exchange.rate_limited:
                break
        return exchanges


def check(requirement: str, *, whole: bool = False) -> Callable[[CheckFn], Check]:
    """Decorator: turn a function into the check of one requirement; the catalogue statement heads its doc.

    The function's own docstring (how it judges, and why) follows the statement, so `help()` shows both.

    An unknown requirement id fails at import: a check with no requirement is a defect.
    """
    from ..catalogue.requirements import get

    statement = get(requirement).statement

    def wrap(fn: CheckFn) -> Check:
        fn.__doc__ = f"{requirement}: {statement}" + (f"\n\n{fn.__doc__}" if fn.__doc__ else "")
        made = Check(requirement, fn, whole)
        object.__setattr__(made, "__doc__", fn.__doc__)
        return made

    return wrap


def send(method: str, path: str, body: Any = None, **kwargs: Any) -> Step:
    """A step that sends a fixed request; `body` may be a function of the context (to insert the model)."""

    def build(ctx: Context, _: Sequence[Exchange]) -> Request:
        payload = body(ctx) if callable(body) else body
        return Request(method, path, payload, **kwargs)

    return Step(build)

"""PROBE: optional parameters sent together in one request, and one request per requirement only when it is refused.

A live run is billed per request: the common case (everything accepted) costs
one request. Each option belongs to the requirement its refusal breaks, so one
probe serves several requirements; when the request with all of them is
refused, the options of each requirement go again together, one request per
requirement, so the refusal still names the requirement it breaks, and the
refusal's body (which names the parameter, as a rule) names the culprit. A
probe whose options all belong to one requirement needs no second request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..catalogue.requirements import get
from ..wire.exchange import Exchange, Request
from .bodies import PATHS
from .capabilities import supported
from .case import Check, Context, Failed, Skipped, Step
from .expect import show


@dataclass(frozen=True)
class Option:
    """One optional parameter as sent: its report name, the top-level fields it sets (None drops a field of the
    base body), and the requirement a refusal of it breaks."""

    name: str
    fields: dict[str, Any]
    requirement: str

    def carried_by(self, x: Exchange) -> bool:
        body = x.request.json_body if isinstance(x.request.json_body, dict) else {}
        return all(body.get(k) == value for k, value in self.fields.items() if value is not None)


def accepted(x: Exchange | None) -> bool:
    """A complete 2xx answer."""
    return x is not None and not x.failure and x.status is not None and 200 <= x.status < 300


def seen(x: Exchange) -> str:
    """What came instead of an accepted answer, in one line: a refusal's `error.param` first, when it names one (the
    culprit among the options sent together), then its body."""
    if x.failure:
        return x.failure
    body = x.json()
    error = body.get("error") if isinstance(body, dict) else None
    param = error.get("param") if isinstance(error, dict) else None
    named = f" (param {param!r})" if isinstance(param, str) and param else ""
    return f"HTTP {x.status}{named}: {show(x.body.decode('utf-8', 'replace'), 160)}"


@dataclass(frozen=True)
class Probe:
    """Optional parameters of one endpoint: sent together, then (only if refused) one request per requirement."""

    endpoint: str
    base: Callable[[Context], dict]
    options: tuple[Option, ...]

    @property
    def groups(self) -> dict[str, tuple[Option, ...]]:
        """The options by the requirement their refusal breaks, in the order first named."""
        groups: dict[str, list[Option]] = {}
        for option in self.options:
            groups.setdefault(option.requirement, []).append(option)
        return {requirement: tuple(options) for requirement, options in groups.items()}

    def body(self, ctx: Context, options: Sequence[Option]) -> dict:
        body = self.base(ctx)
        for option in options:
            for key, value in option.fields.items():
                if value is None:
                    body.pop(key, None)
                else:
                    body[key] = value
        return body

    def steps(self) -> tuple[Step, ...]:
        path = PATHS[self.endpoint]

        def together(ctx: Context, _: Sequence[Exchange]) -> Request:
            return Request("POST", path, self.body(ctx, self.options))

        def again(options: tuple[Option, ...]) -> Step:
            def build(ctx: Context, earlier: Sequence[Exchange]) -> Request | None:
                return None if accepted(earlier[0]) else Request("POST", path, self.body(ctx, options))

            return Step(build, only_when_refused=True)

        groups = self.groups
        return (Step(together), *(again(options) for options in groups.values())) if len(groups) > 1 else (Step(together),)

    def by_requirement(self, xs: Sequence[Exchange]) -> dict[str, Exchange]:
        """Each requirement's own exchange, its options sent together without the others', when the request with all
        of them was refused (fewer when a request did not complete); with one requirement, the one request."""
        groups = self.groups
        sent = xs[1:1 + len(groups)] if len(groups) > 1 else xs[:1]
        return dict(zip(groups, sent, strict=False))

    def accepted(self, requirement: str, *, primary: bool = False,
                 honoured: Callable[[list[Exchange], Context], None] | None = None, declinable: bool = False) -> Check:
        """The options of `requirement` are accepted: with all the others, or else with one another. The primary
        requirement also answers for a refusal that no requirement's options explain (each requirement's accepted,
        all together refused). `honoured`, when given, then judges what the accepted answers did with the options:
        one check per requirement and case. `declinable` options depend on the upstream: refused on their own with a
        proper 4xx they are "not supported", by the rule every capability probe follows (capabilities.supported)."""
        mine = self.groups[requirement]

        def fn(xs: list[Exchange], ctx: Context) -> None:
            taken(xs)
            if honoured is not None:
                honoured(xs, ctx)

        def taken(xs: list[Exchange]) -> None:
            first = xs[0]
            if accepted(first):
                return
            names = ", ".join(o.name for o in mine)
            own = self.by_requirement(xs)
            x = own.get(requirement)
            if x is None:
                raise Failed(f"{names} accepted (a 2xx)", "not sent without the other options: the requests before "
                             f"did not complete; all together: {seen(first)}")
            if not accepted(x):
                if declinable:
                    supported(x)  # a proper 4xx: not supported; anything else fails as a broken capability does
                alone = "" if x is first else " without the other options"
                raise Failed(f"{names} accepted (a 2xx)", f"refused{alone}: {seen(x)}")
            if primary and len(own) == len(self.groups) and all(accepted(y) for y in own.values()):
                raise Failed(f"{names} accepted (a 2xx), with the other options too",
                             f"each requirement's options accepted on their own, all together refused: {seen(first)}")

        fn.__doc__ = f"{requirement}: {get(requirement).statement}"
        made = Check(requirement, fn, whole=True)
        object.__setattr__(made, "__doc__", fn.__doc__)
        return made


def answers(xs: Sequence[Exchange], option: Option) -> list[Exchange]:
    """The accepted answers to requests that carried the option. Skipped when each was refused with a 4xx (the option
    may be innocent, sent with its requirement's others: that requirement fails for the refusal); failed when none
    was sent, or one broke (a 5xx, no complete answer)."""
    carried = [x for x in xs if option.carried_by(x)]
    answers = [x for x in carried if accepted(x)]
    if answers:
        return answers
    if carried and all(not x.failure and x.status is not None and 400 <= x.status < 500 for x in carried):
        raise Skipped(f"every request with {option.name} was refused, so what it does is not seen ({option.requirement} "
                      f"fails for the refusal): {seen(carried[-1])}")
    raise Failed(f"a 2xx answer to a request with {option.name}", seen(carried[-1]) if carried else "no such request")

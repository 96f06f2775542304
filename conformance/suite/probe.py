"""PROBE: optional parameters sent together in one request, and one by one only when that request is refused.

A live run is billed per request: the common case (everything accepted) costs
one request, and a refusal still names its culprit. Each option belongs to the
requirement its refusal breaks, so one probe serves several requirements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..catalogue.requirements import get
from ..wire.exchange import Exchange, Request
from .bodies import PATHS
from .capabilities import supported
from .case import Check, Context, Failed, Step, Unsupported, Violations
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
    """What came instead of an accepted answer, in one line."""
    return x.failure or f"HTTP {x.status}: {show(x.body.decode('utf-8', 'replace'), 160)}"


@dataclass(frozen=True)
class Probe:
    """Optional parameters of one endpoint: sent together, then (only if refused) one by one."""

    endpoint: str
    base: Callable[[Context], dict]
    options: tuple[Option, ...]

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

        def alone(option: Option) -> Step:
            def build(ctx: Context, earlier: Sequence[Exchange]) -> Request | None:
                return None if accepted(earlier[0]) else Request("POST", path, self.body(ctx, (option,)))

            return Step(build, only_when_refused=True)

        first = Step(together)
        return (first, *(alone(o) for o in self.options)) if len(self.options) > 1 else (first,)

    def alone(self, xs: Sequence[Exchange]) -> dict[str, Exchange]:
        """Each option's own exchange by its name, when the request with all of them was refused (fewer when a
        request did not complete)."""
        sent = xs[1:] if len(self.options) > 1 else xs[:1]
        return {option.name: x for option, x in zip(self.options, sent, strict=False)}

    def accepted(self, requirement: str, *, primary: bool = False,
                 honoured: Callable[[list[Exchange], Context], None] | None = None, declinable: bool = False) -> Check:
        """The options of `requirement` are accepted: together, or else each alone. The primary requirement also
        answers for a refusal that no single option explains (accepted alone, refused together). `honoured`, when
        given, then judges what the accepted answers did with the options: one check per requirement and case.
        `declinable` options depend on the upstream: one refused alone with a proper 4xx is "not supported", by
        the rule every capability probe follows (capabilities.supported)."""
        mine = [o for o in self.options if o.requirement == requirement]

        def fn(xs: list[Exchange], ctx: Context) -> None:
            taken(xs)
            if honoured is not None:
                honoured(xs, ctx)

        def taken(xs: list[Exchange]) -> None:
            first = xs[0]
            if accepted(first):
                return
            alone = self.alone(xs)
            v = Violations(f"{', '.join(o.name for o in mine)} accepted (a 2xx), together or each alone"
                           + (", or declined with a proper 4xx" if declinable else ""))
            declined = []
            for option in mine:
                x = alone.get(option.name)
                if x is None:
                    v.add(f"{option.name}: not sent alone, the requests before it did not complete")
                elif not accepted(x) and not declinable:
                    v.add(f"{option.name}: {seen(x)}")
                elif not accepted(x):
                    try:
                        supported(x)
                    except Unsupported as declining:
                        declined.append(f"{option.name} {declining}")
                    except Failed as failing:
                        v.add(f"{option.name}: {failing.actual}")
            if primary and not v and all(accepted(alone.get(o.name)) for o in self.options):
                v.add(f"each accepted alone, all together refused: {seen(first)}")
            v.settle()
            if declined:
                raise Unsupported("; ".join(declined))

        fn.__doc__ = f"{requirement}: {get(requirement).statement}"
        made = Check(requirement, fn, whole=True)
        object.__setattr__(made, "__doc__", fn.__doc__)
        return made


def answers(xs: Sequence[Exchange], option: Option) -> list[Exchange]:
    """The accepted answers to requests that carried the option; failed when none was accepted."""
    carried = [x for x in xs if option.carried_by(x)]
    answers = [x for x in carried if accepted(x)]
    if not answers:
        raise Failed(f"a 2xx answer to a request with {option.name}", seen(carried[-1]) if carried else "no such request")
    return answers

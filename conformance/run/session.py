"""One certification run: each unit's exchanges made once, concurrently, then judged by pure checks.

Data flows one way: the session runs a plan's units (a case for a model) on a
bounded pool, a case's steps in order, and hands each finished unit to its
checks. Checks never learn that requests ran concurrently; outcomes are sorted
into catalogue order, so a concurrent and a sequential run of the same server
give the same report. It knows nothing of pytest or of the command line.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, ContextManager

from ..catalogue.requirements import CATALOGUE, COMPLETIONS, MESSAGES
from ..outcomes.outcome import Outcome
from ..outcomes.verdict import NOT_SUPPORTED
from ..suite.case import Failed
from ..suite.expect import error_for
from ..wire.exchange import Exchange
from ..wire.target import Caller, Target, TargetError
from . import judging
from .judging import exchanges_of
from .plan import Plan, Unit
from .schedule import Job, Schedule

CassetteFor = Callable[[str], ContextManager[Any]]
DEFAULT_CONCURRENCY = 16  # per model: the cap of each upstream's limit, which starts there and backs off on 429s
DEFAULT_CONCURRENCY_TOTAL = 128  # the cap of the run's limit in all, found the same way
_CATALOGUE_ORDER = {r.id: i for i, r in enumerate(CATALOGUE)}
# The case whose answer tells whether a model is served on an endpoint at all (a matrix's "not supported").
BASIC_CASES = {"POST /chat/completions": "chat_basic", COMPLETIONS: "completions_basic",
               "POST /responses": "responses_basic", MESSAGES: "messages_basic"}


class Progress:
    """What a progress display reads; the session calls `done` as units finish. The default shows nothing."""

    def start(self, session: ConformanceSession, units: int) -> None: ...

    def done(self, unit: Unit, outcomes: list[Outcome]) -> None: ...

    def stop(self) -> None: ...


class ConformanceSession:
    def __init__(self, target: Target, cassette_for: CassetteFor | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY, progress: Progress | None = None,
                 concurrency_total: int = DEFAULT_CONCURRENCY_TOTAL) -> None:
        self.target = target
        # Cassettes patch the HTTP client process-wide, one cassette at a time: recording and replay run sequentially.
        self.concurrency = 1 if cassette_for is not None else max(1, concurrency)
        self.concurrency_total = 1 if self.concurrency == 1 else max(1, concurrency_total)
        self.caller = Caller(target, concurrency=self.concurrency, in_all=self.concurrency_total)
        self.cassette_for = cassette_for or (lambda name: contextlib.nullcontext())
        self.progress = progress or Progress()
        self.outcomes: list[Outcome] = []
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._declined: dict[tuple[str, str], str] = {}  # (endpoint, model) a matrix model is declined on, and why

    def run(self, plan: Plan) -> list[Outcome]:
        """Run every unit (within each model's and the run's limits), judge it, return outcomes in order.

        A unit's exchanges live until it is judged: what a report needs of them (a failure's evidence, a matrix
        model's refusal) is kept in its outcomes, the rest is let go, so a matrix of a hundred models holds no
        more bytes than the units in flight."""
        self.progress.start(self, len(plan.units))
        schedule = Schedule([Job(unit.upstream, unit.case.weight, held=unit.case.perform is not None,
                                 group=unit.case.id if unit.case.perform is not None else None)
                             for unit in plan.units], self.concurrency, self.concurrency_total, _Found(self.caller))
        pool = ThreadPoolExecutor(min(schedule.in_all, len(plan.units)) + 1, thread_name_prefix="conformance-case")
        pending: set[Future] = set()
        if not schedule.released:  # the SDK cases wait, without taking a place, while their SDKs import
            from ..suite.sdk import import_sdks

            pending.add(pool.submit(import_sdks))
        futures: dict[Future, int] = {}

        def start() -> None:
            while (index := schedule.next()) is not None:
                future = pool.submit(self._exchanges, plan, plan.units[index])
                futures[future] = index
                pending.add(future)

        try:
            start()
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                judge = []
                for future in finished:
                    if future not in futures:  # the SDKs are imported (or failed to, which their cases will say)
                        schedule.release()
                        continue
                    index = futures.pop(future)
                    schedule.finished(index)
                    judge.append((index, future.result()))  # a TargetError (every request rate-limited) stops here
                start()  # the freed places first: judging can wait, the server's time cannot
                for index, made in judge:
                    unit = plan.units[index]
                    self.progress.done(unit, self._judge_unit(plan, unit, *made))
            if schedule:
                raise RuntimeError(f"{len(schedule.waiting)} cases were never started")  # a scheduling defect, loudly
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self.progress.stop()
        if plan.matrix:
            self._declined_models_not_supported()
        self.outcomes.sort(key=_order(plan))
        return self.outcomes

    def _exchanges(self, plan: Plan, unit: Unit) -> tuple[list[Any], float]:
        started = time.monotonic()
        try:
            with self.cassette_for(plan.cassette(unit)):
                exchanges = unit.case.run(self.caller, plan.context(unit))
        except TargetError:
            raise
        except Exception as exc:  # a replay miss, or a case that broke on what the server sent: its checks say so
            return [exc], time.monotonic() - started
        return exchanges, time.monotonic() - started

    def _judge_unit(self, plan: Plan, unit: Unit, made: list[Any], spent: float) -> list[Outcome]:
        ctx = plan.context(unit)
        outcomes = [judging.judge(unit.case, check, made, ctx, unit.model, spent) for check in unit.checks]
        if plan.matrix and unit.model is not None and BASIC_CASES.get(unit.case.endpoint) == unit.case.id:
            exchanges = exchanges_of(made)
            reason = _declined(exchanges[-1]) if exchanges else None
            if reason:
                self._declined[(unit.case.endpoint, unit.model)] = reason
        with self._lock:
            self.outcomes.extend(outcomes)
        return outcomes

    def _declined_models_not_supported(self) -> None:
        """In a matrix, a model an endpoint declines with a proper 4xx error is "not supported" there, not failed:
        what failed on that endpoint for that model is reported so; what held stays passed."""
        for outcome in self.outcomes:
            reason = self._declined.get((outcome.endpoint, outcome.model or ""))
            if reason and outcome.model is not None and outcome.failing:
                outcome.expected, outcome.violations, outcome.exchange = "", [], ""
                outcome.skip(NOT_SUPPORTED, f"the model is declined here ({reason})")

    def close(self) -> None:
        self.caller.close()


class _Found:
    """The limits the caller has found so far, as the schedule reads them (see run/schedule.py)."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    def of(self, upstream: Any) -> int:
        return int(self.caller.limiter(upstream).limit)

    def in_all(self) -> int:
        return int(self.caller.overall.limit)


def _declined(x: Exchange) -> str | None:
    """The message of a proper 4xx refusal of the model itself, in the endpoint's error format.

    Only a refusal about the model counts (OpenAI's `param: "model"` or a `code` naming the model, or a message
    naming the model asked for): a 4xx about anything else is a finding, never "not supported".
    """
    if x.status is None or not 400 <= x.status < 500 or x.status in (401, 429):
        return None
    try:
        error = error_for(x.request.path)(x)
    except Failed:
        return None
    asked = x.request.json_body.get("model") if isinstance(x.request.json_body, dict) else None
    message = str(error.get("message", ""))
    about_model = (error.get("param") == "model" or "model" in str(error.get("code") or "")
                   or bool(asked) and str(asked) in message)
    return f"HTTP {x.status}: {message[:160]}" if about_model else None


def _order(plan: Plan) -> Callable[[Outcome], tuple]:
    """Catalogue order, then suite order of the cases, then the order the models were asked for."""
    cases = {unit.case.id: index for index, unit in enumerate(plan.units)}
    models = {model: index for index, model in enumerate(plan.all_models)}

    def key(o: Outcome) -> tuple:
        return (_CATALOGUE_ORDER.get(o.id, len(_CATALOGUE_ORDER)), cases.get(o.case, 0), -1 if o.model is None
                else models.get(o.model, len(models)))

    return key

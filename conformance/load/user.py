"""The Locust user of a load run: sends a case of the mix through the suite's caller and judges the answer.

Imported only in a load run's own processes (it imports Locust, which
monkey-patches the process with gevent). Everything a process's users share
(the plan, their contexts, the tally, the request budget) lives on
`GENERATOR`, set up once per process before the first user starts.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import uuid
from collections.abc import Callable, Iterator

import gevent
from locust import User, constant, task
from locust.exception import StopUser

from ..catalogue.requirements import MESSAGES
from ..run.judging import judge
from ..wire.target import SyncCaller, Target
from . import tally as tallies
from .answer import THROTTLED, http_outcome, timings
from .plan import Entry, LoadPlan


@contextlib.contextmanager
def gevent_deadline(seconds: float) -> Iterator[None]:
    """The caller's overall deadline under gevent: a gevent.Timeout, surfaced as the TimeoutError the caller expects."""
    timeout = gevent.Timeout(seconds)
    timeout.start()
    try:
        yield
    except gevent.Timeout as exc:
        if exc is not timeout:
            raise
        raise TimeoutError from None
    finally:
        timeout.cancel()


class Budget:
    """At most `limit` attempts sent by this process (None: no limit): each case takes one, and a connection broken
    before any answer is sent again only while one is left; `on_spent` runs once the last case is judged."""

    def __init__(self, limit: int | None, on_spent: Callable[[], None]) -> None:
        self.left, self.in_flight, self.on_spent, self.spent = limit, 0, on_spent, False

    def take(self) -> bool:
        if self.left is not None and self.left <= 0:
            return False
        if self.left is not None:
            self.left -= 1
        self.in_flight += 1
        return True

    def take_retry(self) -> bool:
        """One more attempt of a case already sent, when the budget allows it."""
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def done(self) -> None:
        self.in_flight -= 1
        if self.left == 0 and self.in_flight == 0 and not self.spent:
            self.spent = True
            gevent.spawn(self.on_spent)  # never stop the runner from inside a user's own greenlet


class Generator:
    """One load-generating process: what its users send, to whom, and what they saw."""

    def __init__(self) -> None:
        self.plan: LoadPlan | None = None
        self.target: Target | None = None
        self.entries: list[Entry] = []
        self.weights: list[int] = []
        self.contexts: list = []
        self.models: Iterator = iter(())
        self.budget = Budget(None, lambda: None)
        self.tally = tallies.new_tally()
        self.open_streams = 0
        self.node = uuid.uuid4().hex[:12]  # this process, among a run's generators: its stream peaks count once
        self.sent = 0  # answers handed over in tallies taken so far

    def set_up(self, plan: LoadPlan, api_key: str, budget: int | None, on_spent: Callable[[], None]) -> None:
        self.plan = plan
        self.target = plan.target(api_key)
        self.entries = plan.entries()
        self.weights = [entry.weight for entry in self.entries]
        self.contexts = plan.contexts(self.target)
        self.models = itertools.cycle(self.contexts)
        self.budget = Budget(budget, on_spent)

    def take_tally(self) -> dict:
        """What was seen since the last take (a worker sends it to the master and starts afresh)."""
        taken, self.tally = self.tally, tallies.new_tally()
        self.sent += taken["answers"]
        return taken


GENERATOR = Generator()


class CaseUser(User):
    """One simulated client: sends cases of the mix back to back, each judged as its answer comes in."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.caller = SyncCaller(GENERATOR.target, deadline=gevent_deadline, may_retry=lambda: GENERATOR.budget.take_retry())
        self.rng = random.Random()

    def on_stop(self) -> None:
        self.caller.close()

    @task
    def send_case(self) -> None:
        run = GENERATOR
        if not run.budget.take():
            raise StopUser()
        entry = self.rng.choices(run.entries, run.weights)[0]
        ctx = next(run.models)
        streaming = entry.name.endswith("-stream")
        sent_before, retried_before = self.caller.cost.requests, self.caller.cost.retries
        run.open_streams += streaming
        tallies.note_streams(run.tally, run.node, run.open_streams)
        try:
            exchanges = entry.case.run(self.caller, ctx)
        finally:
            run.open_streams -= streaming
            run.budget.done()
        last = exchanges[-1]
        outcome = http_outcome(last)
        answered_by = ctx.messages_model if entry.case.endpoint == MESSAGES else ctx.model
        judged = run.plan.judge and outcome not in THROTTLED
        outcomes = [judge(entry.case, check, exchanges, ctx, answered_by) for check in entry.checks] if judged else []
        tallies.record(run.tally, name=entry.name, requests=self.caller.cost.requests - sent_before, outcome=outcome,
                       timing=timings(last), outcomes=outcomes, streaming=streaming,
                       retries=self.caller.cost.retries - retried_before)
        bad = [o for o in outcomes if o.failing]
        problem = f"{bad[0].id}: expected {bad[0].expected}" if bad else None
        if problem is None and outcome not in ("2xx", *THROTTLED):
            problem = f"HTTP outcome {outcome}"
        self.environment.events.request.fire(
            request_type=last.request.method, name=entry.name, response_time=last.elapsed_s * 1000,
            response_length=len(last.body), exception=AssertionError(problem) if problem else None, context={})

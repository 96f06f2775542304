"""A load run's Locust process: `local` (users and stop conditions in one process), `master` or `worker`.

Started by `crun-conformance load` as `python -m conformance.load.node`, with
its configuration (API key included) as JSON on stdin, never on the command
line. Importing Locust monkey-patches this process with gevent, which is why
it is a process of its own. The local process and the master write the run's
result (the merged tally, how it stopped, when) as JSON to the path they were
given; workers judge their answers and send their tallies to the master in
Locust's messages: a delta with every stats report, and a final one on stop.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

import gevent
import locust  # noqa: F401  (gevent patches this process before any socket is opened)
from locust.env import Environment

from . import tally as tallies
from .plan import LoadPlan, shares
from .user import GENERATOR, CaseUser

PROGRESS_EVERY_S = 5.0
WORKERS_WAIT_S = 60.0  # how long a master waits for its workers before giving up
FINALS_WAIT_S = 10.0  # how long a master waits for workers' final tallies after they stopped


class Stopper:
    """Stops a run once, whatever asks first (duration, request budget, Ctrl-C), and remembers why."""

    def __init__(self, stop: Any) -> None:
        self.reason: str | None = None
        self._stop = stop

    def __call__(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            gevent.spawn(self._stop)


def progress(tally: dict, users: int, started: float) -> str:
    elapsed = time.monotonic() - started
    violations = sum(1 for c in tally["checks"].values() if c["violated"] or c["errors"])
    rate = tally["answers"] / elapsed if elapsed > 0 else 0.0
    return (f"load: {elapsed:.0f} s, {users} users, {tally['answers']} answers ({rate:.1f}/s), "
            f"{tally['throttled']} throttled, {violations} checks violated")


def run_local(config: dict, plan: LoadPlan) -> dict:
    env = Environment(user_classes=[CaseUser], stop_timeout=plan.timeout_s)
    runner = env.create_local_runner()
    stopper = Stopper(runner.quit)
    GENERATOR.set_up(plan, config["api_key"], config["max_requests"], lambda: stopper("max-requests"))
    return drive(config, env, runner, stopper, lambda: GENERATOR.tally)


def run_master(config: dict, plan: LoadPlan) -> dict:
    env = Environment(user_classes=[CaseUser], stop_timeout=plan.timeout_s)
    runner = env.create_master_runner(config["master_bind_host"], config["master_port"])
    merged, finals, spent = tallies.new_tally(), set(), set()
    expected = config["expect_workers"]
    say(config, f"load master: listening on {config['master_bind_host']}:{config['master_port']}, waiting for "
                f"{_workers(expected)} (at most {WORKERS_WAIT_S:g} s)")

    def graceful() -> None:
        # Not runner.stop(): its workers drop out of the master's list until they are ready again, and would miss
        # the quit. Workers stop their users on crun_stop, send their final tallies, and leave on the quit.
        runner.send_message("crun_stop")
        waited = time.monotonic()
        while len(finals) < len(workers) and time.monotonic() - waited < plan.timeout_s + FINALS_WAIT_S:
            gevent.sleep(0.05)
        runner.quit()

    stopper = Stopper(graceful)

    def on_report(client_id: str, data: dict) -> None:
        if "crun" in data:
            tallies.merge(merged, data["crun"])

    def on_final(environment: Environment, msg: Any) -> None:
        tallies.merge(merged, msg.data)
        finals.add(msg.node_id)

    def on_spent(environment: Environment, msg: Any) -> None:
        spent.add(msg.node_id)
        if len(spent) >= len(workers):
            stopper("max-requests")

    env.events.worker_report.add_listener(on_report)
    runner.register_message("crun_final", on_final)
    runner.register_message("crun_spent", on_spent)
    waited, interrupted = time.monotonic(), []
    waiting = gevent.signal_handler(signal.SIGINT, interrupted.append, True)
    while len(runner.clients.ready) < expected:
        if interrupted or time.monotonic() - waited > WORKERS_WAIT_S:
            runner.quit()
            return {"error": f"only {len(runner.clients.ready)} of {expected} workers connected "
                             + ("before the interruption" if interrupted else f"within {WORKERS_WAIT_S:g} s")}
        gevent.sleep(0.05)
    waiting.cancel()
    workers = [client.id for client in runner.clients.ready]  # more than expected may have come: all get a plan
    for client_id, budget in zip(workers, shares(config["max_requests"], len(workers)), strict=True):
        runner.send_message("crun_plan", {"plan": plan.as_dict(), "budget": budget}, client_id)
    result = drive(config, env, runner, stopper, lambda: merged) | {"workers": len(workers)}
    say(config, f"load master: finished, stopped by {result['stopped_by']}: {merged['answers']} answers from "
                f"{_workers(len(workers))} in {result['wall_s']:.1f} s")
    return result


def _workers(count: int) -> str:
    return f"{count} worker{'s' if count != 1 else ''}"


def say(config: dict, line: str) -> None:
    """One line on stderr about this process (where it is, when it is done), unless the run is quiet."""
    if not config["quiet"]:
        print(line, file=sys.stderr, flush=True)


def drive(config: dict, env: Environment, runner: Any, stopper: Stopper, tally: Any) -> dict:
    """Start the users, stop at the duration, the budget or Ctrl-C, and return what was seen."""
    gevent.signal_handler(signal.SIGINT, stopper, "interrupted")
    gevent.signal_handler(signal.SIGTERM, stopper, "interrupted")
    started_wall, started, cpu = time.time(), time.monotonic(), time.process_time()
    runner.start(config["users"], config["spawn_rate"])
    gevent.get_hub().loop.update_now()  # the loop's clock is cached; without this the timer counts from a stale time
    gevent.spawn_later(config["duration_s"], stopper, "duration")
    if not config["quiet"]:
        gevent.spawn(_report_progress, tally, runner, started)
    runner.greenlet.join()
    total = env.stats.total
    return {"tally": tally(), "stopped_by": stopper.reason or "duration", "started": started_wall, "ended": time.time(),
            "wall_s": time.monotonic() - started, "workers": 0, "cpu_s": time.process_time() - cpu,
            "locust": {"requests": total.num_requests, "failures": total.num_failures}}


def _report_progress(tally: Any, runner: Any, started: float) -> None:
    while True:
        gevent.sleep(PROGRESS_EVERY_S)
        print(progress(tally(), runner.user_count, started), file=sys.stderr, flush=True)


def run_worker(config: dict) -> None:
    env = Environment(user_classes=[CaseUser])
    runner = env.create_worker_runner(config["master_host"], config["master_port"])
    say(config, f"load worker: joining the master at {config['master_host']}:{config['master_port']}")

    def on_plan(environment: Environment, msg: Any) -> None:
        GENERATOR.set_up(LoadPlan.from_dict(msg.data["plan"]), config["api_key"], msg.data["budget"],
                         lambda: runner.send_message("crun_spent", None))

    def on_report(client_id: str, data: dict) -> None:
        data["crun"] = GENERATOR.take_tally()

    def on_stop(environment: Environment, **kwargs: Any) -> None:
        runner.send_message("crun_final", GENERATOR.take_tally())

    runner.register_message("crun_plan", on_plan)
    runner.register_message("crun_stop", lambda environment, msg: gevent.spawn(runner.stop))
    env.events.report_to_master.add_listener(on_report)
    env.events.test_stop.add_listener(on_stop)
    if config["follow_master"]:  # started by a local --workers run: the master decides when to stop
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        gevent.signal_handler(signal.SIGINT, lambda: gevent.spawn(_leave, runner))
    runner.greenlet.join()
    say(config, f"load worker: finished: {GENERATOR.sent} answers judged and sent to the master")


def _leave(runner: Any) -> None:
    """Ctrl-C on a worker of another machine: stop, hand the master the final tally, and say goodbye."""
    runner.stop()
    runner.environment.events.quitting.fire(environment=runner.environment)
    runner.quit()


def main() -> int:
    config = json.loads(sys.stdin.read())
    logging.basicConfig(level=logging.ERROR if config["quiet"] else logging.WARNING, stream=sys.stderr,
                        format="%(message)s")
    role = config["role"]
    if role == "worker":
        run_worker(config)
        return 0
    plan = LoadPlan.from_dict(config["plan"])
    result = run_local(config, plan) if role == "local" else run_master(config, plan)
    Path(config["result"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

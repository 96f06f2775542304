"""The schedule: longest first, at most N per upstream (model), a bound in all, SDK cases held until released."""

from __future__ import annotations

import json
import threading
from collections import Counter

from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.schedule import Job, Schedule

KEY = "sk-schedule-test-0123456789"


def started(schedule: Schedule) -> list[int]:
    out = []
    while (index := schedule.next()) is not None:
        out.append(index)
    return out


def test_the_longest_units_start_first_and_equal_ones_in_suite_order():
    schedule = Schedule([Job("a", 1), Job("a", 2), Job("a", 1), Job("a", 3)], per_upstream=8)
    assert started(schedule) == [3, 1, 0, 2]


def test_each_upstream_gets_its_own_places_and_a_finished_unit_frees_one():
    schedule = Schedule([Job("gpt", 1)] * 3 + [Job("claude", 1)] * 3 + [Job(None, 1)] * 3, per_upstream=2)
    first = started(schedule)
    assert Counter(schedule.jobs[i].upstream for i in first) == {"gpt": 2, "claude": 2, None: 2}
    schedule.finished(first[0])  # a gpt unit ends: only the third gpt unit may start
    assert started(schedule) == [2]


def test_the_whole_run_is_bounded_too():
    schedule = Schedule([Job(f"model-{i}", 1) for i in range(50)], per_upstream=8)
    assert len(started(schedule)) == schedule.in_all == 24


def test_concurrency_one_is_one_unit_at_a_time_in_all_whatever_the_upstreams():
    schedule = Schedule([Job("gpt", 1), Job("claude", 1), Job(None, 1)], per_upstream=1)
    assert started(schedule) == [0]
    schedule.finished(0)
    assert started(schedule) == [1]


def test_held_units_wait_without_taking_a_place_until_released():
    schedule = Schedule([Job("gpt", 2, held=True), Job("gpt", 1), Job("gpt", 1)], per_upstream=2)
    assert started(schedule) == [1, 2]
    schedule.finished(1)
    assert started(schedule) == []  # a place is free, but the held unit waits for its release
    schedule.release()
    assert started(schedule) == [0]
    assert not schedule


class InFlightPerModel:
    """ASGI middleware around the reference: the most requests naming each model that were in flight at once."""

    def __init__(self, app) -> None:
        self.app, self.now, self.most, self.lock = app, Counter(), Counter(), threading.Lock()
        self.most_of_the_two = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        messages = []
        while True:
            message = await receive()
            messages.append(message)
            if not message.get("more_body"):
                break
        try:
            model = json.loads(b"".join(m.get("body", b"") for m in messages)).get("model")
        except (ValueError, AttributeError):
            model = None

        async def replay():
            return messages.pop(0) if messages else await receive()

        with self.lock:
            self.now[model] += 1
            self.most[model] = max(self.most[model], self.now[model])
            self.most_of_the_two = max(self.most_of_the_two, self.now["gpt-5.4"] + self.now["claude-sonnet-4-5"])
        try:
            await self.app(scope, replay, send)
        finally:
            with self.lock:
                self.now[model] -= 1


def test_concurrency_is_counted_per_model_so_two_models_run_side_by_side(tmp_path):
    """--concurrency 2: never more than 2 of one model's cases at once, and both models' cases overlap."""
    seen: list[InFlightPerModel] = []

    def wrap(app):
        seen.append(InFlightPerModel(app))
        return seen[0]

    config = ReferenceConfig(api_key=KEY, latency_ms=150)
    with ReferenceServer(config, wrap=wrap) as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q", "--concurrency", "2",
                     "--models", "gpt-5.4,claude-sonnet-4-5", "-k", "basic or stream", "--report-json",
                     str(tmp_path / "r.json")])
    assert code == 0
    assert seen[0].most["gpt-5.4"] == seen[0].most["claude-sonnet-4-5"] == 2, seen[0].most
    assert seen[0].most_of_the_two > 2

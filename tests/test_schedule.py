"""The schedule: longest first, at most N per upstream (model), a bound in all, SDK cases held until released."""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter

from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.run.schedule import Job, Schedule

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
    schedule = Schedule([Job(f"model-{i}", 1) for i in range(50)], per_upstream=8, in_all=24)
    assert len(started(schedule)) == schedule.in_all == 24


class Found:
    """Limits as the caller finds them during a run: settable per upstream and in all."""

    def __init__(self, per: dict, in_all: int) -> None:
        self.per, self.all = per, in_all

    def of(self, upstream) -> int:
        return self.per.get(upstream, 99)

    def in_all(self) -> int:
        return self.all


def test_no_more_units_start_than_the_limits_found_allow_and_more_once_they_grow():
    found = Found({"gpt": 2}, in_all=5)
    schedule = Schedule([Job("gpt", 1)] * 6 + [Job("claude", 1)] * 6, per_upstream=8, in_all=64, limits=found)
    first = started(schedule)
    assert Counter(schedule.jobs[i].upstream for i in first) == {"gpt": 2, "claude": 3}
    found.per["gpt"], found.all = 4, 64  # answers came back: the limits grew
    assert Counter(schedule.jobs[i].upstream for i in started(schedule)) == {"gpt": 2, "claude": 3}
    found.all = 1  # a 429: the run backs off; nothing starts until fewer than its limit are running
    schedule.finished(first[0])
    assert started(schedule) == []


def test_the_caps_bound_the_limits_found():
    schedule = Schedule([Job("gpt", 1)] * 6, per_upstream=2, in_all=64, limits=Found({"gpt": 50}, in_all=50))
    assert len(started(schedule)) == 2


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
        self.most_of_the_two = self.most_in_all = 0

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
            self.most_in_all = max(self.most_in_all, sum(self.now.values()))
        try:
            await self.app(scope, replay, send)
        finally:
            with self.lock:
                self.now[model] -= 1


def certify_counting(tmp_path, *args: str) -> InFlightPerModel:
    seen: list[InFlightPerModel] = []

    def wrap(app):
        seen.append(InFlightPerModel(app))
        return seen[0]

    with ReferenceServer(ReferenceConfig(api_key=KEY, latency_ms=150), wrap=wrap) as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q", "--report-json",
                     str(tmp_path / "r.json"), *args])
    assert code == 0
    return seen[0]


def test_concurrency_is_counted_per_model_so_two_models_run_side_by_side(tmp_path):
    """--concurrency 2: never more than 2 requests to one model at once, and both models' requests overlap.

    The model-independent X-API-KEY probes and the SDK calls are in the run: they name a model too, and count
    against it."""
    seen = certify_counting(tmp_path, "--concurrency", "2", "--models", "gpt-5.4,claude-sonnet-4-5",
                            "-k", "basic or stream or AUTH-002 or SDK")
    assert seen.most["gpt-5.4"] == seen.most["claude-sonnet-4-5"] == 2, seen.most
    assert seen.most_of_the_two > 2


def test_concurrency_one_sends_one_request_at_a_time_in_all(tmp_path):
    seen = certify_counting(tmp_path, "--concurrency", "1", "--model", "gpt-5.4", "--messages-model",
                            "claude-sonnet-4-5", "-k", "basic or AUTH-002 or SDK-005")
    assert seen.most_in_all == 1, seen.most


def test_a_model_independent_case_takes_a_place_of_the_model_its_accepted_request_reaches():
    from conformance.run.plan import build
    from conformance.suite import bodies
    from conformance.suite.auth import bearer_accepted
    from conformance.suite.case import Case, send
    from conformance.suite.cases import CASES
    from conformance.wire.target import Target

    once = Case("once_on_chat", "POST /chat/completions", (bearer_accepted,), per_model=False,
                steps=(send("POST", "/chat/completions", bodies.chat),))
    target = Target("http://127.0.0.1:9/api/v1", KEY)
    plan = build(target, [(c, c.checks) for c in [once, *CASES]], ["gpt-5.4"], ["claude-sonnet-4-5"], False)
    upstream = {unit.case.id: unit.upstream for unit in plan.units}
    assert upstream["once_on_chat"] == "gpt-5.4"
    assert upstream["messages_basic"] == "claude-sonnet-4-5" and upstream["chat_basic"] == "gpt-5.4"
    assert upstream["auth_x_api_key_messages"] == "claude-sonnet-4-5"  # a real request, with the key in X-API-KEY
    for gateway_only in ("auth_none_chat_completions", "auth_wrong_bearer_responses", "auth_wrong_x_api_key_messages",
                         "unknown_model_responses", "models_list", "bad_param_malformed_json"):
        assert upstream[gateway_only] is None, gateway_only


def test_a_rate_limit_slows_only_the_model_that_sent_it():
    from conformance.wire.target import BACK_OFF, Caller, Target

    caller = Caller(Target("http://127.0.0.1:9/api/v1", KEY), concurrency=8, in_all=32)
    try:
        with contextlib.ExitStack() as held:  # eight requests to gpt-5.4 in flight, and one of them refused
            for _ in range(8):
                held.enter_context(caller.limiter("gpt-5.4").slot())
            caller.limiter("gpt-5.4").throttled()
        assert caller.limiter("gpt-5.4").limit == 8 * BACK_OFF
        assert caller.limiter("claude-sonnet-4-5").limit == caller.limiter(None).limit == 8
        assert caller.limits() == (24, int(8 * BACK_OFF))  # the run starts at three first windows, capped at 32
    finally:
        caller.close()


def test_once_released_one_unit_of_each_group_goes_first_and_its_group_follows_when_it_finished():
    """An SDK builds what it parses into on its first call: a hundred models' first calls at once would each build
    it, so one call of each SDK case goes first."""
    jobs = [Job(f"m{i}", 1, held=True, group=case) for case in ("chat", "messages") for i in range(3)]
    schedule = Schedule(jobs, per_upstream=8, in_all=64)
    assert started(schedule) == []
    schedule.release()
    assert started(schedule) == [0, 3]  # the first of each group
    schedule.finished(3)
    assert started(schedule) == [4, 5]  # the messages group follows; chat still waits for its first
    schedule.finished(0)
    assert started(schedule) == [1, 2] and not schedule

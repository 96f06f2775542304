"""The reference server's pacing: latency before a generated answer, a pause between events, 429 every K-th request.

The pauses are recorded, not timed: asyncio.sleep is replaced in the pacing module, so each test says exactly
which answers waited and how long, on any machine.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conformance.reference import ReferenceConfig, create_app, pacing

KEY = "sk-pacing-test-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
CHAT = {"model": "gpt-5.4", "max_tokens": 8, "messages": [{"role": "user", "content": "Say ok."}]}


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    recorded: list[float] = []

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    return recorded


def send(config: ReferenceConfig, *requests: tuple[str, str, dict | None, dict]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(config))
        async with httpx.AsyncClient(transport=transport, base_url="http://reference/api/v1") as client:
            return [await client.request(method, path, json=body, headers=headers)
                    for method, path, body, headers in requests]

    return asyncio.run(go())


def test_a_generated_answer_waits_and_a_refusal_or_the_model_list_does_not(pauses):
    config = ReferenceConfig(api_key=KEY, latency_ms=800)
    answers = send(config, ("POST", "/chat/completions", CHAT, AUTH), ("POST", "/chat/completions", CHAT, {}),
                   ("GET", "/models", None, AUTH))
    assert [a.status_code for a in answers] == [200, 401, 200]
    assert pauses == [0.8]


def test_stream_events_are_paced_after_the_first(pauses):
    config = ReferenceConfig(api_key=KEY, chunk_ms=30)
    answer, = send(config, ("POST", "/chat/completions", {**CHAT, "stream": True}, AUTH))
    events = answer.text.count("data: ")
    assert events > 3 and pauses == [0.03] * (events - 1)


def test_every_third_request_is_refused_with_retry_after_and_a_retried_one_is_served(pauses):
    config = ReferenceConfig(api_key=KEY, rate_limit_every=3)
    other = {**CHAT, "max_tokens": 9}
    answers = send(config, *[("POST", "/chat/completions", CHAT, AUTH)] * 2, ("POST", "/chat/completions", other, AUTH),
                   ("POST", "/chat/completions", other, AUTH))
    assert [a.status_code for a in answers] == [200, 200, 429, 200]
    assert answers[2].headers["retry-after"] == "1" and answers[2].json()["error"]["type"] == "rate_limit_error"


def test_every_request_is_refused_when_k_is_one(pauses):
    config = ReferenceConfig(api_key=KEY, rate_limit_every=1)
    answers = send(config, ("GET", "/models", None, AUTH), ("POST", "/messages", CHAT, AUTH),
                   ("POST", "/messages", CHAT, AUTH))
    assert [a.status_code for a in answers] == [429, 429, 429]
    assert answers[1].json()["type"] == "error"  # the Anthropic error shape on /messages


@pytest.mark.parametrize("field", ["latency_ms", "chunk_ms", "rate_limit_every"])
def test_negative_settings_are_refused(field):
    with pytest.raises(ValueError, match=field):
        ReferenceConfig(**{field: -1})


def test_above_its_concurrency_limit_the_server_answers_429_with_retry_after_at_once():
    """`max_concurrency`: requests held in their latency count as in flight; one more is refused, in its endpoint's
    error format, and once one finishes the next is served again."""
    config = ReferenceConfig(api_key=KEY, latency_ms=1, max_concurrency=2)
    gate = asyncio.Event()

    async def go() -> tuple[list[httpx.Response], httpx.Response]:
        async def held(seconds: float) -> None:
            await gate.wait()

        pacing.asyncio.sleep, real = held, pacing.asyncio.sleep  # the latency waits until the gate opens
        try:
            transport = httpx.ASGITransport(app=create_app(config))
            async with httpx.AsyncClient(transport=transport, base_url="http://reference/api/v1") as client:
                first = [asyncio.create_task(client.post("/chat/completions", json=CHAT, headers=AUTH)) for _ in range(2)]
                await real(0.05)
                refused = [await client.post("/chat/completions", json=CHAT, headers=AUTH),
                           await client.post("/messages", json={**CHAT, "model": "claude-sonnet-4-5"},
                                             headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"})]
                gate.set()
                served = await asyncio.gather(*first)
                again = await client.post("/chat/completions", json=CHAT, headers=AUTH)
                return refused + served, again
        finally:
            pacing.asyncio.sleep = real

    answers, again = asyncio.run(go())
    assert [a.status_code for a in answers] == [429, 429, 200, 200] and again.status_code == 200
    assert all(a.headers["retry-after"] == "1" for a in answers[:2])
    assert answers[0].json()["error"]["code"] == "rate_limit_exceeded"
    assert answers[1].json()["type"] == "error" and answers[1].json()["error"]["type"] == "rate_limit_error"

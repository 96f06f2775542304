"""How much contract validation adds to reading a chat stream.

Validation sits on every chunk of every run, so its cost is measured against the
cost a client pays anyway: `json.loads` of each `data:` payload. The stream is
1,000 chunks shaped like the real CRUN transcript (empty id, created 0, one token
per chunk, a final chunk with finish_reason and usage details).

    python bench/bench_contract.py
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Callable

from conformance.catalogue.contract import document, validate

CHUNKS = 1_000
RUNS = 5
WORDS = " responsive wireless keyboard designed for comfortable typing and clutter-free productivity .".split(" ")


def build_stream(size: int = CHUNKS) -> list[str]:
    """The `data:` payloads of a realistic stream, as the wire carries them."""
    payloads = []
    for index in range(size - 1):
        chunk = {
            "id": "",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "gpt-5.4",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": WORDS[index % len(WORDS)] or " "}}],
        }
        payloads.append(json.dumps(chunk, separators=(",", ":")))
    final = {
        "id": "resp_0c628e55cfc393b50069cddfec989c81939cd408ac45285daa",
        "object": "chat.completion.chunk",
        "created": 1775099884,
        "model": "gpt-5.4",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 17,
            "completion_tokens": size - 1,
            "total_tokens": 16 + size,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0, "text_tokens": 0, "image_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0},
        },
    }
    payloads.append(json.dumps(final, separators=(",", ":")))
    return payloads


def median_seconds(job: Callable[[], object], runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    payloads = build_stream()
    broken = [p.replace('"chat.completion.chunk"', '"chat.completion"') for p in payloads]
    events = [{"event": "message", "data": p} for p in payloads]

    start = time.perf_counter()
    document()
    load_ms = (time.perf_counter() - start) * 1e3
    start = time.perf_counter()
    assert validate("ChatCompletionChunk", json.loads(payloads[0])) == []
    assert validate("ChatCompletionSSE", events[0]) == []
    compile_ms = (time.perf_counter() - start) * 1e3

    def parse() -> None:
        for p in payloads:
            json.loads(p)

    def parse_and_validate() -> None:
        for p in payloads:
            if validate("ChatCompletionChunk", json.loads(p)):
                raise AssertionError(p)

    def validate_events() -> None:
        for e in events:
            if validate("ChatCompletionSSE", e):
                raise AssertionError(e)

    def parse_and_explain_broken() -> None:
        for p in broken:
            if not validate("ChatCompletionChunk", json.loads(p)):
                raise AssertionError(p)

    parse_s = median_seconds(parse)
    rows = [
        ("(a) json.loads", parse_s),
        ("(b) json.loads + validate('ChatCompletionChunk')", median_seconds(parse_and_validate)),
        ("    validate('ChatCompletionSSE', event), parse inside", median_seconds(validate_events)),
        ("    json.loads + validate, every chunk broken", median_seconds(parse_and_explain_broken)),
    ]

    print(f"once: load contract {load_ms:.1f} ms, compile both validators {compile_ms:.1f} ms")
    print(f"{CHUNKS} chunks, median of {RUNS} runs\n")
    print(f"{'job':<56} {'total ms':>9} {'µs/chunk':>9} {'× parse':>8}")
    print("-" * 85)
    for label, seconds in rows:
        print(f"{label:<56} {seconds * 1e3:>9.2f} {seconds / CHUNKS * 1e6:>9.2f} {seconds / parse_s:>8.2f}")
    validation_s = rows[1][1] - parse_s
    print(f"\nvalidation / parse = ({rows[1][0][:3]} - (a)) / (a) = {validation_s / parse_s:.2f}  (target < 5)")


if __name__ == "__main__":
    main()

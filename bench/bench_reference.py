"""Benchmark the reference server: non-stream chat requests per second, and the time to deliver a 200-chunk stream.

    python bench/bench_reference.py [--runs 5] [--seconds 3] [--connections 32] [--client auto|wrk|python]

The server runs in its own process (`python -m conformance.reference`, one
worker, loopback). Load comes from `wrk` when it is installed (C, so the
client is not the bottleneck), else from a raw asyncio HTTP/1.1 keep-alive
client in a separate process. The stream is timed from the request's first
byte sent to the last byte of the stream, on a warm keep-alive connection.
Each figure is the median of `--runs` runs. Goals on a 2-core machine:
>= 1,000 requests/s and a 200-chunk stream in <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

KEY = "crun-reference-key"
CHAT_PATH = "/api/v1/chat/completions"
CHAT_BODY = {"model": "gpt-5.4", "max_tokens": 24,
             "messages": [{"role": "user", "content": "Reply with one short sentence about keyboards."}]}
# The model's documented way to ask for a long reply: "count to N" gives exactly N tokens, one per chunk.
STREAM_CHUNKS = 200
STREAM_BODY = {"model": "gpt-5.4", "max_tokens": STREAM_CHUNKS, "stream": True,
               "messages": [{"role": "user", "content": f"count to {STREAM_CHUNKS}"}]}
GOAL_RPS, GOAL_STREAM_MS = 1000, 50


@contextmanager
def reference_server() -> Iterator[tuple[str, int]]:
    """The reference server in a child process on a free port; yields (host, port)."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    child = subprocess.Popen([sys.executable, "-m", "conformance.reference", "--port", "0", "--api-key", KEY],
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline().strip()
        if not line.startswith("CRUN reference server listening on "):
            raise SystemExit(f"the reference server did not start: {line!r}")
        url = urlsplit(line.rsplit(" ", 1)[1])
        yield url.hostname, url.port
    finally:
        child.terminate()
        child.wait(timeout=10)


def request_bytes(host: str, port: int, path: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


# Requests per second ------------------------------------------------------------------------------

def wrk_rps(host: str, port: int, seconds: float, connections: int) -> float:
    body = json.dumps(CHAT_BODY).replace("\\", "\\\\").replace("'", "\\'")
    script = (f"wrk.method = 'POST'\nwrk.body = '{body}'\nwrk.headers['Content-Type'] = 'application/json'\n"
              f"wrk.headers['Authorization'] = 'Bearer {KEY}'\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        result = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", handle.name,
                                 f"http://{host}:{port}{CHAT_PATH}"], capture_output=True, text=True, check=True)
    finally:
        os.unlink(handle.name)
    if "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        raise SystemExit(f"wrk saw failed requests:\n{result.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


async def _keep_alive_load(host: str, port: int, request: bytes, seconds: float, connections: int) -> float:
    """Requests per second over `connections` keep-alive connections, each sending the next request on a reply."""
    began = time.perf_counter()
    deadline = began + seconds
    counts = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        done = 0
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer: {head[:80]!r}")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
            await reader.readexactly(length)
            done += 1
        writer.close()
        counts.append(done)

    await asyncio.gather(*(worker() for _ in range(connections)))
    return sum(counts) / (time.perf_counter() - began)


def _load_process(host: str, port: int, seconds: float, connections: int) -> float:
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    request = request_bytes(host, port, CHAT_PATH, CHAT_BODY)
    return asyncio.run(_keep_alive_load(host, port, request, seconds, connections))


def python_rps(host: str, port: int, seconds: float, connections: int) -> float:
    """The asyncio client, in its own process so it does not share the benchmark's interpreter."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_load_process, (host, port, seconds, connections))


# Stream latency -----------------------------------------------------------------------------------

def stream_once(sock: socket.socket, request: bytes) -> tuple[float, float, int]:
    """(time to first byte, time to the end of the chunked body, content chunks) for one streamed chat."""
    began = time.perf_counter()
    sock.sendall(request)
    first = None
    received = bytearray()
    while not received.endswith(b"\r\n0\r\n\r\n"):
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("the server closed the stream early")
        first = first or time.perf_counter()
        received += data
    ended = time.perf_counter()
    if b"data: [DONE]\n\n" not in received:
        raise RuntimeError("the stream ended without [DONE]")
    return first - began, ended - began, received.count(b'"delta":{"content":')


def stream_runs(host: str, port: int, runs: int) -> list[tuple[float, float, int]]:
    request = request_bytes(host, port, CHAT_PATH, STREAM_BODY)
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(3):
            stream_once(sock, request)  # warm up the connection and the server
        return [stream_once(sock, request) for _ in range(runs)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each throughput run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    elif client == "wrk" and not shutil.which("wrk"):
        print("wrk is not installed; using the Python client", file=sys.stderr)
        client = "python"
    measure = wrk_rps if client == "wrk" else python_rps

    with reference_server() as (host, port):
        streams = stream_runs(host, port, args.runs)
        rates = [measure(host, port, args.seconds, args.connections) for _ in range(args.runs)]

    chunks = {c for _, _, c in streams}
    stream_ms = statistics.median(total for _, total, _ in streams) * 1000
    first_ms = statistics.median(first for first, _, _ in streams) * 1000
    rps = statistics.median(rates)
    print(f"reference server, one worker, loopback; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    print(f"non-stream chat: {rps:,.0f} requests/s (median of {args.runs} runs of {args.seconds:g} s, "
          f"{args.connections} connections, client {client}; runs: {', '.join(f'{r:,.0f}' for r in rates)})"
          f"  goal >= {GOAL_RPS:,}: {'met' if rps >= GOAL_RPS else 'MISSED'}")
    print(f"{'/'.join(map(str, sorted(chunks)))}-chunk chat stream: {stream_ms:.1f} ms to the last byte, "
          f"{first_ms:.1f} ms to the first (median of {args.runs}; runs: "
          f"{', '.join(f'{t * 1000:.1f}' for _, t, _ in streams)} ms)"
          f"  goal <= {GOAL_STREAM_MS} ms: {'met' if stream_ms <= GOAL_STREAM_MS else 'MISSED'}")
    return 0 if rps >= GOAL_RPS and stream_ms <= GOAL_STREAM_MS and chunks == {STREAM_CHUNKS} else 1


if __name__ == "__main__":
    sys.exit(main())

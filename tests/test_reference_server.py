"""Starting, stopping and configuring the reference server: fast enough for a self-test of ~40 servers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys

import httpx
import pytest
from starlette.testclient import TestClient

from conformance.reference import (
    DEFAULT_MODELS,
    ModelInfo,
    ReferenceConfig,
    ReferenceServer,
    create_app,
)
from conformance.reference import models as models_module
from conformance.reference.faults import CHAT_NO_DONE


def test_start_serve_and_stop_repeatedly():
    """A self-test starts dozens of servers; how fast is bench/bench_reference.py's question, not a test's."""
    for _ in range(3):
        with ReferenceServer() as server:
            assert httpx.get(f"{server.base_url}/models",
                             headers={"X-API-KEY": server.config.api_key}).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.base_url}/models", timeout=2)


def test_servers_run_side_by_side_on_ephemeral_ports():
    with ReferenceServer() as one, ReferenceServer() as two:
        assert one.base_url != two.base_url
        assert one.base_url.startswith("http://127.0.0.1:") and one.base_url.endswith("/api/v1")
    assert ReferenceServer().base_url is None
    two.stop()  # stopping twice is harmless


def test_config_prefix_key_models_and_faults():
    config = ReferenceConfig(api_key="k-1", prefix="/v1", models=(ModelInfo("tiny", "Acme", 1, 5),),
                             faults=frozenset({"chat_no_done"}))
    assert "k-1" not in repr(config)
    with ReferenceServer(config) as server:
        assert server.base_url.endswith("/v1")
        auth = {"Authorization": "Bearer k-1"}
        assert httpx.get(f"{server.base_url}/models", headers=auth).json()["data"] == [
            {"id": "tiny", "object": "model", "created": 1, "owned_by": "Acme"}]
        body = httpx.post(f"{server.base_url}/chat/completions", headers=auth, json={
            "model": "tiny", "max_tokens": 10 ** 6, "messages": [{"role": "user", "content": "Hello"}]}).json()
        assert body["usage"]["completion_tokens"] == 5 and body["choices"][0]["finish_reason"] == "length"
    assert create_app(config).state.config.faults == frozenset({CHAT_NO_DONE})  # the name resolved to its declaration
    with pytest.raises(ValueError, match="unknown fault.*'no-done-marker'"):
        ReferenceConfig(faults=frozenset({"no-done-marker"}))
    assert [m.id for m in DEFAULT_MODELS] == ["gpt-5.4", "claude-sonnet-4-5", "gemini-3.1-pro-preview", "crun-echo",
                                             "crun-terse"]


def test_unexpected_exception_is_a_json_500(monkeypatch):
    def broken(info):
        raise RuntimeError("boom")

    monkeypatch.setattr(models_module, "model_object", broken)
    client = TestClient(create_app(ReferenceConfig()), raise_server_exceptions=False)
    response = client.get("/api/v1/models", headers={"X-API-KEY": ReferenceConfig().api_key})
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error" and "boom" not in response.text


# Each fault that crashes the server, and a request that makes it crash.
CRASHES = {
    "messages_missing_field_500": ("/messages", {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hi"}]}),
    "no_key_500": ("/models", None),
    "chat_stream_500_for_claude": ("/chat/completions", {"model": "claude-sonnet-4-5", "stream": True,
                                                         "messages": [{"role": "user", "content": "Hi"}]}),
    "completions_stream_500": ("/completions", {"model": "gpt-5.4", "prompt": "Hi", "stream": True}),
    "malformed_json_500": ("/chat/completions", b"{not json"),
    "unknown_field_500": ("/chat/completions", {"model": "gpt-5.4", "messages": [{"role": "user", "content": "Hi"}],
                                                "no_such_field": 1}),
    "responses_missing_input_500": ("/responses", {"model": "gpt-5.4"}),
    "out_of_range_500": ("/chat/completions", {"model": "gpt-5.4", "messages": [{"role": "user", "content": "Hi"}],
                                               "n": 0}),
    "builtin_tool_500": ("/responses", {"model": "gpt-5.4", "input": "Hi", "tools": [{"type": "file_search"}]}),
}


def _exchange(sock: socket.socket, path: str, body: object, key: str | None) -> int:
    """One HTTP/1.1 request on a kept-alive socket; the status of its answer, read to the end of its body."""
    payload = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    head = [f"{'GET' if body is None else 'POST'} /api/v1{path} HTTP/1.1", "Host: 127.0.0.1",
            f"Content-Length: {len(payload)}", "Content-Type: application/json"] + ([f"X-API-KEY: {key}"] if key else [])
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, "the server closed the connection instead of answering"
        data += more
    header, _, rest = data.partition(b"\r\n\r\n")
    lines = header.decode().split("\r\n")
    length = int(next(line.split(":", 1)[1] for line in lines if line.lower().startswith("content-length:")))
    while len(rest) < length:
        more = sock.recv(65536)
        assert more, "the server closed the connection in the middle of a body"
        rest += more
    return int(lines[0].split()[1])


@pytest.mark.parametrize("fault", sorted(CRASHES))
def test_a_crash_fault_answers_500_and_keeps_the_connection(fault):
    """A fault breaks what it declares, not the next request: after its 500 the kept-alive connection still serves.

    (uvicorn closes the connection after an exception that reaches it: the next request sent on it was reset,
    and some other case of a certify run failed on a connection error, the more often the busier the machine.)"""
    path, body = CRASHES[fault]
    config = ReferenceConfig(faults=frozenset({fault}))
    with ReferenceServer(config) as server, socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        assert _exchange(sock, path, body, None if fault == "no_key_500" else config.api_key) == 500
        assert _exchange(sock, "/models", None, config.api_key) == 200


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery to a child differs on Windows")
def test_serve_prints_its_url_and_exits_cleanly_on_ctrl_c():
    child = subprocess.Popen([sys.executable, "-m", "conformance.reference", "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline().strip()
        assert line.startswith("CRUN reference server listening on http://127.0.0.1:")
        assert line.endswith("/api/v1 with key crun-reference-key; faults: none"), line  # the URL, its key, its faults
        url = line.split()[5]
        assert httpx.get(f"{url}/models", headers={"X-API-KEY": ReferenceConfig().api_key}).status_code == 200
        os.kill(child.pid, signal.SIGINT)
        assert child.wait(timeout=10) == 0
        assert "Traceback" not in child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()


def test_serve_lists_every_fault_with_its_description(capsys):
    from conformance.cli import main
    from conformance.reference.faults import FAULTS

    assert main(["serve", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(FAULTS)
    assert all(line.split(None, 1)[1] == fault.description for line, fault in zip(lines, FAULTS.values(), strict=True))


def test_serve_names_its_url_key_and_faults_and_a_port_in_use_exits_2_in_one_line():
    child = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--port", "0", "--api-key", "k-1",
                              "--fault", "chat_no_done", "--fault", "bearer_only"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline().strip()
        assert re.fullmatch(r"CRUN reference server listening on http://127\.0\.0\.1:\d+/api/v1 with key k-1; "
                            r"faults: bearer_only, chat_no_done", line), line
        port = line.split()[5].split(":")[2].split("/")[0]
        busy = subprocess.run([sys.executable, "-m", "conformance.cli", "serve", "--port", port],
                              capture_output=True, text=True, timeout=60)
        assert busy.returncode == 2 and busy.stdout == ""
        assert busy.stderr == f"crun-conformance: cannot listen on 127.0.0.1:{port}: already in use\n"
    finally:
        child.kill()
        child.wait(timeout=10)


def test_serve_says_where_its_key_came_from_without_printing_a_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRUN_API_KEY", "sk-from-the-environment")
    child = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline().strip()
        assert line.endswith("with key the value of CRUN_API_KEY; faults: none") and "sk-from" not in line, line
    finally:
        child.kill()
        child.wait(timeout=10)

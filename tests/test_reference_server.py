"""Starting, stopping and configuring the reference server: fast enough for a self-test of ~40 servers."""

from __future__ import annotations

import os
import signal
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


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery to a child differs on Windows")
def test_serve_prints_its_url_and_exits_cleanly_on_ctrl_c():
    child = subprocess.Popen([sys.executable, "-m", "conformance.reference", "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline().strip()
        assert line.startswith("CRUN reference server listening on http://127.0.0.1:") and line.endswith("/api/v1")
        url = line.rsplit(" ", 1)[1]
        assert httpx.get(f"{url}/models", headers={"X-API-KEY": ReferenceConfig().api_key}).status_code == 200
        os.kill(child.pid, signal.SIGINT)
        assert child.wait(timeout=10) == 0
        assert "Traceback" not in child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()

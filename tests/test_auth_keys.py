"""AUTH: X-API-KEY proven by one real request per endpoint, and a wrong key in either header refused in the
endpoint's error form."""

from __future__ import annotations

import json

import httpx
import pytest

from conformance.catalogue.requirements import ALL
from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.suite import auth
from conformance.suite.bodies import UNKNOWN_MODEL
from conformance.suite.case import Context, Failed
from conformance.suite.cases import CASES
from conformance.wire.exchange import Exchange, Request
from conformance.wire.target import Target

KEY = "sk-auth-keys-test-0123456789abcdef"
CTX = Context(Target("https://gateway.invalid/api/v1", KEY), "gpt-5.4", "claude-sonnet-4-5")
OPENAI_ERROR = {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "param": None,
                          "code": "invalid_api_key"}}
ANTHROPIC_ERROR = {"type": "error", "error": {"type": "authentication_error", "message": "Incorrect API key provided."}}


def answer(path: str, status: int, body: dict, auth_mode: str = "wrong-x-api-key") -> Exchange:
    return Exchange(Request("POST", path, {"model": "gpt-5.4"}, auth=auth_mode), status,
                    {"content-type": "application/json"}, json.dumps(body).encode())


def test_x_api_key_is_proven_by_one_real_request_per_endpoint():
    """No probe with an unknown model: a gateway may take the key there and refuse it wherever it would serve."""
    cases = {case.endpoint: case for case in CASES if case.id.startswith("auth_x_api_key_")}
    assert set(cases) == set(ALL)
    for endpoint, case in cases.items():
        (step,) = case.steps
        request = step(CTX, ())
        assert request.auth == "x-api-key" and not step.only_when_refused
        if endpoint.startswith("POST"):
            assert request.json_body["model"] in (CTX.model, CTX.messages_model)
        assert [check.requirement for check in case.checks] == ["AUTH-002", "AUTH-005"]


def test_a_wrong_x_api_key_is_tried_on_every_endpoint():
    cases = {case.endpoint: case for case in CASES if case.id.startswith("auth_wrong_x_api_key_")}
    assert set(cases) == set(ALL)
    for case in cases.values():
        assert [step(CTX, ()).auth for step in case.steps] == ["wrong-x-api-key"]
        assert [check.requirement for check in case.checks] == ["AUTH-006", "AUTH-005", "ERR-006"]


@pytest.mark.parametrize("check", [auth.wrong_key_refused, auth.wrong_x_api_key_refused], ids=lambda c: c.requirement)
def test_a_wrong_key_is_refused_with_401_in_the_endpoints_error_form(check):
    check.judge([answer("/chat/completions", 401, OPENAI_ERROR)], CTX)
    check.judge([answer("/messages", 401, ANTHROPIC_ERROR)], CTX)
    for refused in (answer("/chat/completions", 401, {"detail": "Invalid token"}),
                    answer("/messages", 401, OPENAI_ERROR),  # /messages owes Anthropic's error
                    answer("/chat/completions", 403, OPENAI_ERROR),
                    answer("/chat/completions", 200, {"id": "chatcmpl-1"})):
        with pytest.raises(Failed):
            check.judge([refused], CTX)


def test_the_probe_only_fault_takes_the_key_for_an_unknown_model_and_refuses_it_for_a_real_one():
    """What `x_api_key_probe_only` is: the unknown-model probes the suite used to trust look right."""
    config = ReferenceConfig(api_key=KEY, faults=frozenset({"x_api_key_probe_only"}))
    with ReferenceServer(config) as server, httpx.Client(base_url=server.base_url) as client:
        def post(model: str, headers: dict) -> int:
            body = {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
            return client.post("/chat/completions", json=body, headers=headers).status_code

        assert post(UNKNOWN_MODEL, {}) == 401
        assert post(UNKNOWN_MODEL, {"X-API-KEY": KEY}) == 404
        assert post("gpt-5.4", {"X-API-KEY": KEY}) == 401
        assert post("gpt-5.4", {"Authorization": f"Bearer {KEY}"}) == 200
        assert client.get("/models", headers={"X-API-KEY": KEY}).status_code == 401


@pytest.mark.parametrize("faults, failed", [
    (set(), set()),
    ({"x_api_key_probe_only"}, {"AUTH-002"}),
    ({"bearer_only"}, {"AUTH-002"}),
    ({"x_api_key_any_value"}, {"AUTH-006"}),
    ({"wrong_key_detail_body"}, {"AUTH-006"}),
])
def test_each_break_of_x_api_key_fails_on_every_endpoint(tmp_path, faults, failed):
    config = ReferenceConfig(api_key=KEY, faults=frozenset(faults))
    with ReferenceServer(config) as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q", "-k", "x_api_key",
                     "--model", "gpt-5.4", "--messages-model", "claude-sonnet-4-5",
                     "--report-json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    outcomes = {(c["id"], c["endpoint"]): c["outcome"] for c in report["checks"] if c["id"] not in ("AUTH-005", "ERR-006")}
    assert outcomes == {(r, e): "failed" if r in failed else "passed" for r in ("AUTH-002", "AUTH-006") for e in ALL}
    # one real request per endpoint with the key, one with a wrong key, and GET /models to check --model
    assert report["cost"]["requests"] == 11
    assert code == (1 if failed else 0)

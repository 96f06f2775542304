"""AUTH-002 on a POST endpoint without generating anything: two unknown-model answers, or a real request."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.suite import auth
from conformance.suite.case import Failed
from conformance.wire.exchange import Exchange, Request

KEY = "sk-auth-probe-test-0123456789abcdef"
PATH = "/chat/completions"


def answer(status: int, auth_mode: str) -> Exchange:
    return Exchange(Request("POST", PATH, {"model": "x"}, auth=auth_mode), status, {"content-type": "application/json"},
                    json.dumps({"error": {"message": "m", "type": "t"}}).encode())


@pytest.mark.parametrize("keyless, keyed, proven", [
    (401, 404, True),   # keys checked first, then the model: the X-API-KEY key was accepted
    (401, 400, True),
    (404, 404, False),  # models looked up before keys: the keyed 404 proves nothing
    (401, 401, False),  # the header ignored, or the key not allowed this model: a real request decides
    (401, 403, False),
    (401, 500, False),
])
def test_two_unknown_model_answers_prove_the_key_only_when_the_keyless_one_was_refused_for_its_key(
        keyless, keyed, proven):
    earlier = [answer(keyless, "none"), answer(keyed, "x-api-key")]
    assert auth.authenticated_by_refusal(earlier) is proven
    fallback = auth.x_api_key_fallback("POST", PATH, lambda ctx: {"model": "gpt-5.4"})(None, earlier)
    assert (fallback is None) is proven
    if not proven:
        assert fallback.auth == "x-api-key" and fallback.json_body == {"model": "gpt-5.4"}


def test_when_the_probes_leave_it_open_the_real_request_is_judged():
    open_ = [answer(404, "none"), answer(404, "x-api-key")]
    auth.x_api_key_accepted.judge(open_ + [answer(200, "x-api-key")], None)
    with pytest.raises(Failed):
        auth.x_api_key_accepted.judge(open_ + [answer(401, "x-api-key")], None)


class ModelsBeforeKeys:
    """ASGI middleware: a gateway that looks the model up before the key (an unknown model is 404 for anyone)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if json.loads(body or b"{}").get("model") == "crun-conformance-no-such-model":
            payload = json.dumps({"error": {"message": "no such model", "type": "invalid_request_error",
                                            "param": "model", "code": "model_not_found"}}).encode()
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": payload})
            return
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


@pytest.mark.parametrize("faults, verdict", [(set(), "passed"), ({"bearer_only"}, "failed")])
def test_a_gateway_that_looks_models_up_first_is_judged_by_the_real_request(tmp_path, faults, verdict):
    config = ReferenceConfig(api_key=KEY, faults=frozenset(faults))
    with ReferenceServer(config, wrap=ModelsBeforeKeys) as server:
        main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q", "-k", "auth_x_api_key",
              "--model", "gpt-5.4", "--messages-model", "claude-sonnet-4-5", "--report-json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    posts = [c for c in report["checks"] if c["id"] == "AUTH-002" and c["endpoint"].startswith("POST")]
    assert len(posts) == 4 and {c["outcome"] for c in posts} == {verdict}
    # GET /models to check the models named, once more in the case, then each POST: two probes and the real one
    assert report["cost"]["requests"] == 2 + 4 * 3

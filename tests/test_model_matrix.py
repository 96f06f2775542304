"""certify --models: every model behind a gateway in one run; model-independent cases once, the rest per model."""

from __future__ import annotations

import json

from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer

KEY = "sk-matrix-test-0123456789abcdef"
ALL = ["gpt-5.4", "claude-sonnet-4-5", "gemini-3.1-pro-preview", "crun-echo", "crun-terse"]


def certify(url: str, tmp_path, *extra: str) -> tuple[int, dict | None, str]:
    path = tmp_path / "r.json"
    code = main(["certify", "--base-url", url, "--api-key", KEY, "-q", "--report-json", str(path), *extra])
    return code, json.loads(path.read_text()) if path.exists() else None, ""


def test_models_all_judges_every_listed_model_and_model_independent_cases_once(tmp_path):
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        code, report, _ = certify(server.base_url, tmp_path, "--models", "all", "-k", "MODELS or AUTH-003 or CHAT-001 "
                                  "or MSG-001")
    assert code == 0
    assert report["models"] == ALL and set(report["summary_by_model"]) == set(ALL)
    by_id: dict[str, list] = {}
    for check in report["checks"]:
        by_id.setdefault(check["id"], []).append(check["model"])
    assert by_id["MODELS-001"] == [None]  # once, not per model
    assert sorted(by_id["CHAT-001"]) == sorted(ALL)
    assert sorted(by_id["MSG-001"]) == sorted(ALL)  # /messages is judged for every model of the matrix
    assert set(by_id["AUTH-003"]) == {None}


def test_models_match_and_messages_models_narrow_the_matrix(tmp_path):
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        code, report, _ = certify(server.base_url, tmp_path, "--models", "all", "--models-match", "^(gpt|gemini)",
                                  "--messages-models", "claude-sonnet-4-5", "-k", "CHAT-001 or MSG-001")
    assert code == 0
    chat = {c["model"] for c in report["checks"] if c["id"] == "CHAT-001"}
    messages = {c["model"] for c in report["checks"] if c["id"] == "MSG-001"}
    assert chat == {"gpt-5.4", "gemini-3.1-pro-preview"} and messages == {"claude-sonnet-4-5"}


def test_a_matrix_plan_counts_models_times_cases_and_max_requests_refuses_it(tmp_path, capsys):
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "--models", "all",
                     "--max-requests", "60"])
    err = capsys.readouterr().err
    assert code == 2 and "5 models" in err and "above --max-requests 60" in err


def test_a_one_model_report_has_the_matrix_shape(tmp_path):
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        code, report, _ = certify(server.base_url, tmp_path, "--model", "gpt-5.4", "-k", "CHAT-001 or MODELS-001")
    assert code == 0 and report["models"] == ["gpt-5.4"]
    assert {c["model"] for c in report["checks"]} == {"gpt-5.4", None}
    assert report["summary_by_model"]["gpt-5.4"]["verdict"] == "partial"  # -k: two requirements of the profile


def test_a_refusal_about_something_else_than_the_model_is_a_failure_even_in_a_matrix(tmp_path):
    """Only a model the endpoint declines is 'not supported'; a 400 about max_tokens for one model is a finding."""
    def wrap(app):
        async def wrapped(scope, receive, send):
            if scope["type"] == "http" and scope["path"].endswith("/chat/completions"):
                message = await receive()
                if b"claude" in message.get("body", b""):
                    body = (b'{"error":{"message":"max_tokens is not supported","type":"invalid_request_error",'
                            b'"param":"max_tokens","code":"unsupported_parameter"}}')
                    await send({"type": "http.response.start", "status": 400,
                                "headers": [(b"content-type", b"application/json")]})
                    await send({"type": "http.response.body", "body": body})
                    return

                async def replay():
                    return message
                return await app(scope, replay, send)
            return await app(scope, receive, send)
        return wrapped

    with ReferenceServer(ReferenceConfig(api_key=KEY), wrap=wrap) as server:
        code, report, _ = certify(server.base_url, tmp_path, "--models", "gpt-5.4,claude-sonnet-4-5", "-k", "CHAT-001")
    outcomes = {c["model"]: c["outcome"] for c in report["checks"] if c["id"] == "CHAT-001"}
    assert outcomes == {"gpt-5.4": "passed", "claude-sonnet-4-5": "failed"} and code == 1


def test_a_model_the_gateway_does_not_list_is_refused_before_any_case_runs(tmp_path, capsys):
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        code, report, _ = certify(server.base_url, tmp_path, "--models", "gpt-5.4,nosuch", "-k", "CHAT-001")
        code_messages, _, _ = certify(server.base_url, tmp_path, "--models", "gpt-5.4", "--messages-models", "typo-3",
                                      "-k", "MSG-001")
    err = capsys.readouterr().err
    assert code == code_messages == 2 and report is None
    assert "does not list nosuch" in err and "does not list typo-3" in err

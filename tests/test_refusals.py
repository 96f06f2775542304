"""Issue 23's refusals: what a value beyond a documented bound owes (no crash; a refusal, when there is one, in
form), the built-in tool rule, and the two range faults of the reference server."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from conformance.reference import ReferenceConfig
from conformance.reference.app import create_app
from conformance.suite import builtin_tools, input_forms, params
from conformance.suite.case import Failed, Skipped
from conformance.wire.exchange import Exchange, Request

CTX = None  # these checks do not read the context
REFUSAL = {"error": {"message": "Invalid 'n': expected an integer from 1 to 8, but got 0 instead.",
                     "type": "invalid_request_error", "param": "n", "code": "invalid_value"}}
SERVER_ERROR = {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}


def answer(status: int, body: object, path: str = "/chat/completions") -> Exchange:
    return Exchange(Request("POST", path, {}), status, {"content-type": "application/json"},
                    json.dumps(body).encode())


def judged(check, x: Exchange) -> str:
    try:
        check.judge([x], CTX)
    except Failed:
        return "failed"
    except Skipped:
        return "skipped"
    return "passed"


@pytest.mark.parametrize("status,body,expected", [
    (400, REFUSAL, {"PARAM-001": "passed", "PARAM-004": "passed", "PARAM-002": "passed", "PARAM-003": "passed"}),
    (200, {"object": "chat.completion"},
     {"PARAM-001": "passed", "PARAM-004": "failed", "PARAM-002": "skipped", "PARAM-003": "skipped"}),
    (500, SERVER_ERROR, {"PARAM-001": "failed", "PARAM-004": "failed", "PARAM-002": "skipped", "PARAM-003": "skipped"}),
    (400, {"detail": "bad n"}, {"PARAM-001": "passed", "PARAM-004": "passed", "PARAM-002": "failed",
                                "PARAM-003": "failed"}),
])
def test_a_crash_fails_a_must_a_clamp_only_the_should_and_only_a_refusal_is_judged_for_its_form(status, body, expected):
    x = answer(status, body)
    checks = (params.refused_not_crashed, params.refused, params.refusal_is_openai_error, params.names_param("n"))
    assert {check.requirement: judged(check, x) for check in checks} == expected


def test_a_request_without_input_may_be_served_and_a_refusal_of_it_names_input():
    missing = {"error": {"message": "Missing required parameter: 'input'.", "type": "invalid_request_error",
                         "param": "input", "code": "missing_required_parameter"}}
    assert judged(input_forms.missing_input_refused, answer(200, {}, "/responses")) == "skipped"
    assert judged(input_forms.missing_input_refused, answer(400, missing, "/responses")) == "passed"
    unnamed = {"error": {**missing["error"], "param": None}}
    assert judged(input_forms.missing_input_refused, answer(400, unnamed, "/responses")) == "failed"


def error(message: str, param: str | None = None, status: int = 400) -> Exchange:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
    return answer(status, body, "/responses")


@pytest.mark.parametrize("x,expected", [
    (error("Vector store with id 'vs_crun_conformance_missing' not found.", status=404), "passed"),
    (error("Not found.", "tools[0].vector_store_ids", 404), "passed"),
    (error("No vector store found.", None), "passed"),
    (error("unsupported tool type file_search", "tools[0].type"), "failed"),
    (error("tools is not supported by this model.", "tools"), "failed"),
    (error("file_search with vector stores is not supported", "tools[0].type"), "failed"),
    (error("Vector store backend down", status=502), "failed"),
    (answer(400, {"detail": "vector store not found"}, "/responses"), "failed"),
])
def test_a_built_in_tool_is_judged_by_the_error_body_about_the_vector_store(x, expected):
    assert judged(builtin_tools.builtin_tool_passed_through, x) == expected


KEY = ReferenceConfig().api_key
HI = [{"role": "user", "content": "Hi"}]


def client(fault: str) -> TestClient:
    config = ReferenceConfig(faults=frozenset({fault}))
    return TestClient(create_app(config), base_url=f"http://testserver{config.prefix.rstrip('/')}",
                      raise_server_exceptions=False, headers={"Authorization": f"Bearer {KEY}"})


BEYOND = [
    ("/chat/completions", {"model": "gpt-5.4", "messages": []}),
    ("/chat/completions", {"model": "", "messages": HI}),
    ("/chat/completions", {"model": "gpt-5.4", "messages": HI, "n": 0}),
    ("/chat/completions", {"model": "gpt-5.4", "messages": HI, "max_completion_tokens": 0}),
    ("/chat/completions", {"model": "gpt-5.4", "messages": HI, "stop": ["a", "b", "c", "d", "e"]}),
    ("/chat/completions", {"model": "gpt-5.4", "messages": HI, "frequency_penalty": -2.5}),
    ("/chat/completions", {"model": "gpt-5.4", "messages": HI, "logprobs": True, "top_logprobs": 21}),
    ("/responses", {"model": "gpt-5.4", "input": "Hi", "max_output_tokens": 0}),
]
SENT_BEFORE = [
    ("/chat/completions", {"model": "gpt-5.4", "messages": HI, "temperature": 3}),
    ("/chat/completions", {"model": "gpt-5.4", "messages": HI, "n": 9}),
    ("/chat/completions", {"model": "gpt-5.4", "messages": HI, "max_tokens": 0}),
]


@pytest.mark.parametrize("path,body", BEYOND)
def test_the_range_faults_crash_on_or_serve_the_bounds_no_case_sent_before(path, body):
    assert client("out_of_range_500").post(path, json=body).status_code == 500
    served = client("out_of_range_clamped").post(path, json=body)
    assert served.status_code == 200, served.text


def test_clamped_values_are_the_nearest_in_range():
    served = client("out_of_range_clamped")
    assert len(served.post("/chat/completions", json={"model": "gpt-5.4", "messages": HI, "n": 0}).json()["choices"]) == 1
    assert served.post("/chat/completions", json={"model": "", "messages": HI}).json()["model"] == "gpt-5.4"
    assert served.post("/chat/completions", json={"model": "m" * 129, "messages": HI}).status_code == 404


@pytest.mark.parametrize("fault", ["out_of_range_500", "out_of_range_clamped"])
@pytest.mark.parametrize("path,body", SENT_BEFORE)
def test_the_bounds_sent_before_stay_refused_so_only_the_new_cases_catch_the_range_faults(fault, path, body):
    assert client(fault).post(path, json=body).status_code == 400

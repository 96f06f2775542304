"""Issue 25: what can be checked before the run is checked before it, in one line and exit 2, at a known cost.

Every model option is checked against GET /models (a typo names the close matches), a base URL without its
version path is told so, and every report path is tried before the first request. Costs are counted in requests
the server saw, never in time.
"""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reference.faults import MODELS_INCOMPLETE

KEY = "sk-first-request-0123456789abcdef"


class Counting:
    """ASGI wrapper: counts the requests by method and path; `models_status` answers GET /models with it instead."""

    def __init__(self, app, models_status: int | None = None) -> None:
        self.app, self.models_status, self.seen = app, models_status, []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.seen.append(f"{scope['method']} {scope['path'].rsplit('/v1', 1)[-1]}")
            if self.models_status and scope["path"].endswith("/models"):
                await send({"type": "http.response.start", "status": self.models_status,
                            "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"upstream trouble"})
                return
        await self.app(scope, receive, send)


@pytest.fixture
def counted():
    """A reference server whose requests are counted: (server, the list of requests it saw)."""
    wrappers: list[Counting] = []

    def start(models_status: int | None = None, **config) -> tuple[ReferenceServer, list[str]]:
        def wrap(app):
            wrappers.append(Counting(app, models_status))
            return wrappers[-1]

        server = ReferenceServer(ReferenceConfig(api_key=KEY, **config), wrap=wrap).start()
        started.append(server)
        return server, wrappers[-1].seen

    started: list[ReferenceServer] = []
    yield start
    for server in started:
        server.stop()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str, says: str) -> None:
    assert says in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and KEY not in err, err


@pytest.mark.parametrize("flags, says, probe", [
    (["--model", "gpt-5.5"], "GET /models does not list gpt-5.5 (--model), and POST /chat/completions refuses it: "
                             "did you mean gpt-5.4?", "POST /chat/completions"),
    (["--model", "gpt-5.4", "--messages-model", "claude-sonet-4-5"],
     "GET /models does not list claude-sonet-4-5 (--messages-model), and POST /messages refuses it: did you mean "
     "claude-sonnet-4-5?", "POST /messages"),
    (["--models", "gpt-5.4,nosuch"], "GET /models does not list nosuch (--models)", "POST /chat/completions"),
])
def test_a_model_the_gateway_neither_lists_nor_serves_exits_2_naming_close_matches(counted, capsys, flags, says, probe):
    server, seen = counted()
    code, out, err = run(capsys, "certify", "-q", "--base-url", server.base_url, "--api-key", KEY, *flags)
    assert code == 2 and out == ""
    one_line(err, says)
    assert seen == ["GET /models", probe]  # the list, and one short request that confirms the refusal: no case ran


def test_load_checks_its_models_the_same_way(counted, capsys):
    server, seen = counted()
    code, _, err = run(capsys, "load", "-q", "--duration", "1", "--base-url", server.base_url, "--api-key", KEY,
                       "--models", "gpt-5.4,gemini-3.1-pro")
    assert code == 2
    one_line(err, "GET /models does not list gemini-3.1-pro (--models)")
    assert "did you mean gemini-3.1-pro-preview?" in err and seen == ["GET /models", "POST /chat/completions"]


def test_a_model_served_but_not_listed_goes_on_and_the_list_fails_its_requirement(counted, capsys, tmp_path):
    server, _ = counted(faults=frozenset({MODELS_INCOMPLETE}))  # lists gpt-5.4 only, serves them all
    code, _, err = run(capsys, "certify", "-q", "--base-url", server.base_url, "--api-key", KEY, "--model", "gpt-5.4",
                       "--messages-model", "claude-sonnet-4-5", "-k", "MODELS-002", "--report-json",
                       str(tmp_path / "r.json"))
    assert code == 1
    assert "warning: GET /models does not list claude-sonnet-4-5 (--messages-model), though POST /messages serves it" in err
    assert {c["outcome"] for c in json.loads((tmp_path / "r.json").read_text())["checks"]} == {"failed"}


def test_an_unusable_model_list_is_a_warning_when_every_model_was_given(counted, capsys, tmp_path):
    server, _ = counted(models_status=500)
    code, _, err = run(capsys, "certify", "-q", "--base-url", server.base_url, "--api-key", KEY, "--model", "gpt-5.4",
                       "-k", "CHAT-001", "--report-json", str(tmp_path / "r.json"))
    assert code == 0  # partial: CHAT-001 held
    assert ("crun-conformance: warning: GET /models answered HTTP 500 without a list of models: the models given are "
            "not checked against it; going on") in err
    code, _, err = run(capsys, "certify", "-q", "--base-url", server.base_url, "--api-key", KEY, "-k", "CHAT-001")
    assert code == 2
    one_line(err, "no model to test: GET /models answered HTTP 500 without a list of models; name the models with "
                  "--model")


@pytest.mark.parametrize("flags", [[], ["--model", "gpt-5.4"]])
def test_a_base_url_without_its_version_path_is_told_so(counted, capsys, flags):
    server, seen = counted()
    root = server.base_url.removesuffix("/api/v1")
    code, _, err = run(capsys, "certify", "-q", "--base-url", root, "--api-key", KEY, *flags)
    assert code == 2
    one_line(err, f"GET {root}/models answered HTTP 404: does --base-url include the version path (…/api/v1, …/v1)?")
    assert seen == ["GET /models"]


@pytest.mark.parametrize("option", ["--report-md", "--report-json", "--report-html", "--junit-xml"])
def test_an_unwritable_report_path_exits_2_before_the_first_request(counted, capsys, option):
    server, seen = counted()
    code, out, err = run(capsys, "certify", "--base-url", server.base_url, "--api-key", KEY, option, "/proc/x.md")
    assert code == 2 and out == "" and seen == []
    one_line(err, "cannot write a report to /proc/x.md")


def test_two_reports_to_one_path_are_refused(capsys, tmp_path):
    path = str(tmp_path / "r.txt")
    code, _, err = run(capsys, "certify", "--report-md", path, "--report-json", path)
    assert code == 2
    one_line(err, f"cannot write two reports to {path}")


def test_after_a_run_one_line_per_report_written(counted, capsys, tmp_path):
    server, _ = counted()
    paths = {kind: str(tmp_path / "out" / name) for kind, name in
             (("JUnit XML", "j.xml"), ("JSON", "r.json"), ("Markdown", "r.md"), ("HTML", "r.html"))}
    code, _, err = run(capsys, "certify", "-q", "--base-url", server.base_url, "--api-key", KEY, "-k", "MODELS-001",
                       "--report-json", paths["JSON"], "--report-md", paths["Markdown"], "--report-html", paths["HTML"],
                       "--junit-xml", paths["JUnit XML"])
    assert code == 0
    assert err.splitlines() == [f"crun-conformance: {kind} report written to {path}" for kind, path in paths.items()]


def test_with_model_the_messages_model_is_the_same_model_and_without_it_a_listed_claude_model(counted, capsys,
                                                                                              tmp_path):
    """README: `--messages-model` defaults to the same model(s) with --model or --models, else a listed Claude model."""
    server, _ = counted()
    for flags, expected in ((["--model", "gpt-5.4"], "gpt-5.4"), ([], "claude-sonnet-4-5")):
        path = tmp_path / "r.json"
        main(["certify", "-q", "--base-url", server.base_url, "--api-key", KEY, "-k", "MSG-001", "--report-json",
              str(path), *flags])
        report = json.loads(path.read_text())
        assert {c["model"] for c in report["checks"] if c["endpoint"] == "POST /messages"} == {expected}
    capsys.readouterr()

"""The schemathesis surface the fuzz run stands on: the one module that imports schemathesis.

Checked against schemathesis 4.32 (CHECKED_AGAINST; pyproject.toml pins
`schemathesis>=4.32,<4.33`). Besides its documented API (`Case`, `Response`,
`GenerationMode`, `SchemathesisConfig`, `schemathesis.openapi.from_path`,
`Case.call`, `Case.validate_response`, `Case.as_curl_command`), the run needs
names schemathesis does not document, marked INTERNAL below:

- the OpenAPI check functions (`schemathesis.specs.openapi.checks`), to judge
  one requirement with exactly its checks;
- `CoverageGenerator`, `Override` and `NO_FEEDBACK`, to draw the coverage
  phase's cases without schemathesis's engine sending them;
- `ScenarioRecorder`, to see the probes a check sends (`ignored_auth`) and
  what came back;
- `Failure`, `FailureGroup`, `ServerError`, `AcceptedNegativeData` and
  `Failure._unique_key`, schemathesis's own deduplication key, to group
  failures into classes, and the layout of failure messages (`describe`,
  `failure_key`);
- `case.meta.generation.mode` and `case.meta.phase.data.scenario`, to tell
  negative cases and undeclared-method probes apart.

Upgrading schemathesis means re-checking these names here, running
tests/test_fuzz.py, and moving the pin.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import AcceptedNegativeData, Failure, FailureGroup, ServerError  # INTERNAL
from schemathesis.engine.recorder import ScenarioRecorder  # INTERNAL
from schemathesis.generation.drivers import CoverageGenerator  # INTERNAL
from schemathesis.generation.feedback import NO_FEEDBACK  # INTERNAL
from schemathesis.generation.overrides import Override  # INTERNAL
from schemathesis.specs.openapi.checks import (  # INTERNAL
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

__all__ = [
    "CHECKED_AGAINST", "Case", "CheckFunction", "CheckFailure", "GenerationMode", "Judgement", "Response", "SchemathesisConfig",
    "SERVER_ERROR_CHECK", "check_functions", "content_type", "coverage_cases", "curl", "describe", "failure_check",
    "failure_key", "generated_cases", "installed_version", "is_negative", "is_positive", "is_server_error",
    "is_unexpected_method", "judge", "load_openapi", "operations", "send",
]

CHECKED_AGAINST = "4.32"  # the schemathesis minor version every INTERNAL name here was checked against

CheckFunction = Callable[..., Any]

_CHECKS: dict[str, CheckFunction] = {check.__name__: check for check in (
    not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
    negative_data_rejection, missing_required_header, ignored_auth, unsupported_method, allow_header_conformance)}
SERVER_ERROR_CHECK = not_a_server_error.__name__


def installed_version() -> str:
    return schemathesis.__version__


def check_functions(names: Iterable[str]) -> tuple[CheckFunction, ...]:
    """schemathesis's check functions by name; an unknown name is refused (KeyError names it)."""
    return tuple(_CHECKS[name] for name in names)


def load_openapi(path: Path, config: SchemathesisConfig) -> Any:
    """An OpenAPI document as a schemathesis schema, configured."""
    return schemathesis.openapi.from_path(path, config=config)


def operations(schema: Any, only: Iterable[str] | None = None) -> Iterator[Any]:
    """The schema's operations, optionally only those whose label ("POST /chat/completions") is given."""
    wanted = set(only) if only is not None else None
    for result in schema.get_all_operations():
        operation = result.ok()
        if wanted is None or operation.label in wanted:
            yield operation


def coverage_cases(schema: Any, operation: Any) -> Iterator[Case]:
    """The coverage phase's cases of one operation (boundary values, one violation at a time), none sent."""
    generation = schema.config.generation_for(operation=operation)
    yield from CoverageGenerator(operation=operation, generation_modes=list(GenerationMode), generation_config=generation,
                                 auth_storage=None, override=Override(), feedback=NO_FEEDBACK)


def generated_cases(operation: Any, mode: GenerationMode, examples: int, seed: int) -> list[Case]:
    """Up to `examples` cases drawn by hypothesis in one mode, seeded and derandomized; no request is sent."""
    drawn: list[Case] = []
    if examples <= 0:
        return drawn

    @hypothesis.seed(seed)
    @hypothesis.settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                         phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @hypothesis.given(operation.as_strategy(generation_mode=mode))
    def draw(case: Case) -> None:
        drawn.append(case)

    try:
        draw()
    except Unsatisfiable:
        pass  # nothing to negate (GET /models takes no input): no negative case exists
    return drawn[:examples]


def is_positive(case: Case) -> bool:
    """Valid per the request schema (a case built by hand counts as positive)."""
    return case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE


def is_negative(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE


def is_unexpected_method(case: Case) -> bool:
    """A coverage case that sends a method the contract does not declare for the path."""
    data = case.meta.phase.data if case.meta is not None else None
    return getattr(getattr(data, "scenario", None), "value", None) == "unspecified_http_method"


def send(case: Case, session: requests.Session) -> Response:
    return case.call(session=session, allow_redirects=False)


def curl(case: Case, base_url: str, response: Response | None = None) -> str:
    """The case as a curl command, with the headers actually sent when the response is known (key not masked)."""
    headers = dict(response.request.headers) if response is not None else None
    return case.as_curl_command(headers=headers, base_url=base_url)


def content_type(response: Response) -> str:
    return response.headers.get("content-type", [""])[0]


@dataclass
class CheckFailure:
    """One failure of a check: what schemathesis raised, and the request and answer it is about."""

    failure: Failure
    case: Case
    response: Response | None


@dataclass
class Judgement:
    """What the checks said of one answer: the failures, a check that crashed, the probes they sent and their answers."""

    failed: list[CheckFailure] = field(default_factory=list)
    crash: Exception | None = None
    probes: int = 0
    probe_answers: list[Response] = field(default_factory=list)


def judge(case: Case, response: Response, checks: Iterable[CheckFunction]) -> Judgement:
    """Run the checks on one answer: a failed check is a `CheckFailure`, a check that crashed is the `crash`.

    `ignored_auth` sends probes (no key, wrong keys); a failure it raises is
    about its probe, so the probe and its answer come with it.
    """
    recorder = ScenarioRecorder(label=case.operation.label)
    recorder.record_case(case=case)
    judgement = Judgement()
    try:
        case.validate_response(response, checks=list(checks), recorder=recorder)
    except FailureGroup as group:
        judgement.failed = [_failed(failure, case, response, recorder) for failure in group.exceptions]
    except Failure as failure:
        judgement.failed = [_failed(failure, case, response, recorder)]
    except Exception as exc:  # a check that crashes is the suite's problem, reported as an error
        judgement.crash = exc
    finally:
        judgement.probes = max(0, len(recorder.cases) - 1)
        judgement.probe_answers = [interaction.response for case_id, interaction in recorder.interactions.items()
                                   if case_id != case.id and interaction.response is not None]
    return judgement


def _failed(failure: Failure, case: Case, response: Response, recorder: ScenarioRecorder) -> CheckFailure:
    if failure.case_id is None or failure.case_id == case.id or failure.case_id not in recorder.cases:
        return CheckFailure(failure, case, response)
    interaction = recorder.interactions.get(failure.case_id)
    probe_response = interaction.response if interaction is not None else None
    return CheckFailure(failure, recorder.cases[failure.case_id].value, probe_response)


def failure_check(failure: Failure) -> str:
    """The name of the check that raised the failure."""
    return type(failure).checks[0] if type(failure).checks else type(failure).__name__


def failure_key(failure: Failure) -> tuple[str, ...]:
    """What makes failures alike: schemathesis's own deduplication (the failure's class and `_unique_key`: a status,
    a schema path, a header...), its title, and for an accepted invalid request, which part of it was invalid.

    schemathesis keys an accepted invalid request by status alone; a server that lets
    `temperature: 3` and `stream: 3` through has two things to fix, so the "Invalid
    component" line of the message (as of 4.32) joins the key.
    """
    key = (type(failure).__name__, failure._unique_key, failure.title)
    if isinstance(failure, AcceptedNegativeData):
        component = re.search(r"Invalid component: (.+)", failure.message or "")
        key += (component.group(1).strip() if component else "",)
    return key


def describe(failure: Failure, limit: int = 400) -> str:
    """The failure in one line: its title and message, without the schema and value dumps schemathesis appends.

    A schema violation's message ends with "Schema at <path>:" and "Value:" paragraphs
    (as of 4.32); the path stays, the dumps go (the curl and the answer show them).
    """
    kept = [failure.title]
    for paragraph in (failure.message or "").split("\n\n"):
        dump = re.fullmatch(r"\s*(Schema(?: at (\S+))?|Value):\s*", paragraph)
        if dump:
            if dump.group(2):
                kept.append(f"schema at {dump.group(2)}")
            break
        kept.append(paragraph)
    return " ".join(" ".join(kept).split()).replace(f"{failure.title} ", f"{failure.title}: ", 1)[:limit]


def is_server_error(failure: Failure) -> bool:
    return isinstance(failure, ServerError)

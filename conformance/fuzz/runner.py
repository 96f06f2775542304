"""The fuzz run: schemathesis generates requests from openapi/, sends them, and its checks judge the answers.

For each operation the run sends schemathesis's coverage cases (boundary
values and one violation at a time, deterministic) when asked, then `examples`
hypothesis-generated cases per mode: positive (valid per the request schema)
and negative (invalid). Generation is seeded and derandomized, with no example
database, so the same seed sends the same requests (and cassettes can replay them).

Generated bodies are shaped before they are sent, without changing whether they
are valid: the model becomes one the target serves (a random model ID only ever
meets a 404), output-token limits are capped so live runs stay cheap, and every
other positive case on a streaming operation asks for `stream: true`, so stream
events are validated too.

Each (requirement, operation) gets one Outcome. A failure names the schemathesis
check that failed and the smallest failing request as a curl command, with the
key masked. Every request sent is counted, auth probes included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from ..contract import contract_path
from ..exchange import MASK, mask
from ..outcome import Outcome
from ..requirements import CHAT, COMPLETIONS, MESSAGES, RESPONSES
from ..session import discover_models
from ..target import Caller, Target
from . import CHECK_NAMES, EXPECTED, FUZZ_REQUIREMENTS, default_examples

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.core.transport import Response

__all__ = ["CHECKS", "load_schema", "mask", "run_fuzz", "shape"]

MAX_STREAM_EVENTS = 1000  # above a whole stream of the capped outputs; schemathesis reads only 20 by default
OUTPUT_TOKEN_CAP = 16

CheckFunction = Callable[..., Any]

_FUNCTIONS: dict[str, CheckFunction] = {check.__name__: check for check in (
    not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
    negative_data_rejection, missing_required_header, ignored_auth, unsupported_method, allow_header_conformance)}

# The check functions behind each requirement; one validation call per requirement keeps the blame exact.
CHECKS: dict[str, tuple[CheckFunction, ...]] = {
    requirement: tuple(_FUNCTIONS[name] for name in names) for requirement, names in CHECK_NAMES.items()
}

# A refusal is a 4xx; schemathesis also counts a 5xx as "rejected", which FUZZ-001 judges instead.
REJECTION_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

STREAMING = frozenset({CHAT, RESPONSES, MESSAGES})
TOKEN_LIMITS = {
    CHAT: ("max_tokens", "max_completion_tokens"),
    COMPLETIONS: ("max_tokens",),
    RESPONSES: ("max_output_tokens",),
    MESSAGES: ("max_tokens",),
}
MODEL_ID_MAX = 128

# Mask the key, keep token counts: schemathesis's default markers ("token", "key") hide `max_tokens` and usage.
SANITIZATION = {
    "keys-to-sanitize": ["authorization", "x-api-key", "api-key", "api_key", "apikey", "proxy-authorization",
                         "cookie", "set-cookie"],
    "sensitive-markers": ["authorization", "api-key", "api_key", "apikey", "secret", "password", "passwd",
                          "credential", "cookie", "session"],
    "replacement": MASK,
}


def schemathesis_config(target: Target, examples: int, seed: int, coverage: bool = True) -> SchemathesisConfig:
    """The schemathesis configuration of a fuzz run, also what the pytest integration loads."""
    return SchemathesisConfig.from_dict({
        "seed": seed,
        "base-url": target.base_url,
        "max-stream-events": MAX_STREAM_EVENTS,
        "request-timeout": target.timeout_s,
        "generation": {
            "deterministic": True,
            "database": "none",
            "max-examples": examples,
            "no-shrink": True,  # shrinking re-sends requests; the smallest failing one is picked instead
            "with-security-parameters": False,  # auth comes from the config; mutating it only buys 401s
        },
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": coverage}, "stateful": {"enabled": False}},
        "auth": {"openapi": {"bearerAuth": {"bearer": target.api_key}}},
        "checks": {
            "negative_data_rejection": {"expected-statuses": REJECTION_STATUSES},
            "positive_data_acceptance": {"enabled": False},
        },
        "output": {"sanitization": SANITIZATION},
    })


def load_schema(target: Target, examples: int | None = None, seed: int = 0, coverage: bool = True) -> Any:
    """The contract as a schemathesis schema aimed at the target, with its key as bearer auth."""
    examples = default_examples(target) if examples is None else examples
    config = schemathesis_config(target, examples, seed, coverage)
    return schemathesis.openapi.from_path(contract_path(), config=config)


def shape(case: Case, model: str, messages_model: str, stream: bool = False) -> None:
    """Make a generated case worth sending, without changing whether it is valid.

    A schema-valid model ID is replaced by one the target serves (an invalid one is
    the violation under test and stays); a valid output-token limit above the cap is
    lowered to it; a positive case gets a limit when it has none, and `stream: true`
    when asked.
    """
    if not isinstance(case.body, dict):
        return
    body = dict(case.body)  # generated bodies can share dicts with the schema's examples: never edit in place
    label = case.operation.label
    positive = case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE
    value = body.get("model")
    if positive or (isinstance(value, str) and 1 <= len(value) <= MODEL_ID_MAX):
        body["model"] = messages_model if label == MESSAGES else model
    limits = TOKEN_LIMITS.get(label, ())
    for name in limits:
        value = body.get(name)
        if _is_integral(value) and value > OUTPUT_TOKEN_CAP:
            body[name] = OUTPUT_TOKEN_CAP
    if positive and limits and not any(body.get(name) is not None for name in limits):
        body[limits[0]] = OUTPUT_TOKEN_CAP
    if positive and stream and label in STREAMING:
        body["stream"] = True
    case.body = body


def _is_integral(value: Any) -> bool:
    """An integer as JSON Schema sees it: 16 and 16.0 alike, never a boolean."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or isinstance(value, float) and value.is_integer()


@dataclass
class _Failed:
    """One failing request: the check, its message, the request as curl and the answer, key masked."""

    check: str
    message: str
    request: str
    response: str

    @property
    def size(self) -> int:
        return len(self.request)


@dataclass
class _Verdict:
    """What one requirement saw on one operation: responses judged, failures, errors."""

    judged: int = 0
    failures: list[_Failed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class _Tally:
    """Cases sent on one operation, by source, and how many answers were streams."""

    coverage: int = 0
    positive: int = 0
    negative: int = 0
    streams: int = 0


class _Run:
    """One fuzz run against one target: the schema aimed at it, one HTTP session, and the requests sent so far."""

    def __init__(self, target: Target, examples: int, seed: int, coverage: bool, model: str, messages_model: str):
        self.target = target
        self.examples = examples
        self.seed = seed
        self.coverage = coverage
        self.model = model
        self.messages_model = messages_model
        self.schema = load_schema(target, examples, seed, coverage)
        self.requests = 0
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def operations(self, only: Iterable[str] | None) -> Iterator[Any]:
        wanted = set(only) if only is not None else None
        for result in self.schema.get_all_operations():
            operation = result.ok()
            if wanted is None or operation.label in wanted:
                yield operation

    def cases(self, operation: Any, tally: _Tally) -> Iterator[Case]:
        generation = self.schema.config.generation_for(operation=operation)
        if self.coverage:
            for case in CoverageGenerator(operation=operation, generation_modes=list(GenerationMode),
                                          generation_config=generation, auth_storage=None, override=Override(),
                                          feedback=NO_FEEDBACK):
                tally.coverage += 1
                # Boundary cases that leave `stream` out stream every other time; those that set it keep it.
                streams = isinstance(case.body, dict) and "stream" not in case.body and tally.coverage % 2 == 0
                shape(case, self.model, self.messages_model, stream=streams)
                yield case
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for index, case in enumerate(self.generate(operation, mode)):
                if mode is GenerationMode.POSITIVE:
                    tally.positive += 1
                else:
                    tally.negative += 1
                shape(case, self.model, self.messages_model, stream=index % 2 == 0)
                yield case

    def generate(self, operation: Any, mode: GenerationMode) -> list[Case]:
        """Up to `examples` cases drawn by hypothesis, seeded; no request is sent while drawing."""
        drawn: list[Case] = []
        if self.examples <= 0:
            return drawn

        @hypothesis.seed(self.seed)
        @hypothesis.settings(max_examples=self.examples, derandomize=True, database=None, deadline=None,
                             phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @hypothesis.given(operation.as_strategy(generation_mode=mode))
        def draw(case: Case) -> None:
            drawn.append(case)

        try:
            draw()
        except Unsatisfiable:
            pass  # nothing to negate (GET /models takes no input): no negative case exists
        return drawn[: self.examples]

    def send(self, case: Case) -> Response:
        self.requests += 1
        return case.call(session=self.session, allow_redirects=False)

    def judge(self, case: Case, response: Response, requirement: str, verdict: _Verdict) -> None:
        recorder = ScenarioRecorder(label=case.operation.label)
        recorder.record_case(case=case)
        verdict.judged += 1
        try:
            case.validate_response(response, checks=list(CHECKS[requirement]), recorder=recorder)
        except FailureGroup as group:
            failure = group.exceptions[0]
            sent, answer = self.evidence(case, response, recorder)
            verdict.failures.append(_Failed(_check_name(failure), _describe(failure), sent, answer))
        except Failure as failure:
            sent, answer = self.evidence(case, response, recorder)
            verdict.failures.append(_Failed(_check_name(failure), _describe(failure), sent, answer))
        except Exception as exc:  # a check that crashes is the suite's problem, reported as an error
            verdict.errors.append(_reason(exc))
        finally:
            self.requests += max(0, len(recorder.cases) - 1)  # probes the check sent (ignored_auth)

    def evidence(self, case: Case, response: Response, recorder: ScenarioRecorder) -> tuple[str, str]:
        """The failing request as curl and what came back; for an auth probe, the probe itself."""
        probes = [node.value for node in recorder.cases.values() if node.value.id != case.id]
        if probes:
            probe = probes[-1]
            interaction = recorder.interactions.get(probe.id)
            curl = probe.as_curl_command(base_url=self.target.base_url)
            answer = _answer(interaction.response) if interaction and interaction.response else "no answer recorded"
        else:
            curl = case.as_curl_command(headers=dict(response.request.headers), base_url=self.target.base_url)
            answer = _answer(response)
        return mask(curl, self.target.api_key), mask(answer, self.target.api_key)

    def fuzz(self, operation: Any) -> tuple[dict[str, _Verdict], _Tally, float]:
        started = time.monotonic()
        verdicts = {requirement: _Verdict() for requirement in CHECKS}
        tally = _Tally()
        probed = False
        for case in self.cases(operation, tally):
            try:
                response = self.send(case)
            except (requests.RequestException, TimeoutError, OSError) as exc:
                curl = mask(case.as_curl_command(base_url=self.target.base_url), self.target.api_key)
                verdict = verdicts["FUZZ-001"]
                verdict.judged += 1
                verdict.failures.append(_Failed("not_a_server_error", f"no answer: {_reason(exc)}", curl, "no answer"))
                continue
            except Exception as exc:  # schemathesis could not send this case at all: the suite's problem
                verdicts["FUZZ-001"].errors.append(f"could not send a {case.method} case: {_reason(exc)}")
                continue
            tally.streams += _is_event_stream(response)
            for requirement in CHECKS:
                if requirement == "FUZZ-005" and not _is_negative(case):
                    continue
                if requirement == "FUZZ-007" and not _is_unexpected_method(case):
                    continue
                if requirement == "FUZZ-006":
                    # Enforcement is a property of the operation: probe it once, on the first request it accepted.
                    if probed or not 200 <= response.status_code < 300:
                        continue
                    probed = True
                self.judge(case, response, requirement, verdicts[requirement])
        return verdicts, tally, time.monotonic() - started

    def outcomes(self, operation: Any, verdicts: dict[str, _Verdict], tally: _Tally, elapsed: float) -> list[Outcome]:
        label = operation.label
        summary = (f"schemathesis, seed {self.seed}: {tally.coverage} coverage, {tally.positive} positive and "
                   f"{tally.negative} negative cases; {tally.streams} streams judged event by event")
        results = []
        for requirement in FUZZ_REQUIREMENTS:
            level = requirement.level(self.target.profile)
            if level is None:
                continue
            verdict = verdicts[requirement.id]
            outcome, actual, exchange = _verdict(requirement.id, verdict, self.coverage)
            results.append(Outcome(
                id=requirement.id, level=level, endpoint=label, statement=requirement.statement, case=summary,
                outcome=outcome, expected=EXPECTED[requirement.id], actual=actual, duration_s=round(elapsed, 3),
                exchange=exchange,
            ))
        return results


def run_fuzz(target: Target, examples: int | None = None, seed: int = 0, *, coverage: bool | None = None,
             operations: Iterable[str] | None = None) -> tuple[list[Outcome], int]:
    """`conformance.fuzz.run_fuzz`, here where schemathesis is loaded."""
    examples = default_examples(target) if examples is None else examples
    coverage = target.kind == "reference" if coverage is None else coverage
    requests_sent = 0
    model, messages_model = target.model, target.messages_model
    if not model:
        caller = Caller(target)
        try:
            model, found_messages_model = discover_models(caller)
        finally:
            caller.close()
            requests_sent += caller.cost.requests
        messages_model = messages_model or found_messages_model
    run = _Run(target, examples, seed, coverage, model, messages_model or model)
    outcomes: list[Outcome] = []
    try:
        for operation in run.operations(operations):
            outcomes.extend(run.outcomes(operation, *run.fuzz(operation)))
    finally:
        run.close()
    return outcomes, requests_sent + run.requests


def _verdict(requirement: str, verdict: _Verdict, coverage: bool) -> tuple[str, str, str]:
    """The outcome, the observed value and the evidence of one requirement on one operation."""
    if verdict.failures:
        first = min(verdict.failures, key=lambda failed: failed.size)
        checks = sorted({failed.check for failed in verdict.failures})
        actual = (f"{len(verdict.failures)} of {verdict.judged} judged responses failed "
                  f"{', '.join(f'`{name}`' for name in checks)}; smallest: {first.message}")
        return "failed", actual, f"{first.request}\n\n{first.response}"
    if verdict.errors:
        return "error", f"the check could not run: {verdict.errors[0]}", ""
    if verdict.judged == 0:
        return "skipped", _NOTHING_JUDGED.get(requirement, "no response to judge").format(
            coverage="" if coverage else " (the coverage phase is off for this target)"), ""
    return "passed", f"{verdict.judged} responses judged, none broke it", ""


_NOTHING_JUDGED = {
    "FUZZ-005": "no invalid request could be generated for this operation{coverage}",
    "FUZZ-006": "no generated request was accepted (2xx), so there was no request to strip of its key",
    "FUZZ-007": "undeclared methods are sent only by the coverage phase{coverage}",
}


def _is_negative(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE


def _is_unexpected_method(case: Case) -> bool:
    data = case.meta.phase.data if case.meta is not None else None
    return getattr(getattr(data, "scenario", None), "value", None) == "unspecified_http_method"


def _is_event_stream(response: Response) -> bool:
    return response.headers.get("content-type", [""])[0].startswith("text/event-stream")


def _check_name(failure: Failure) -> str:
    return type(failure).checks[0] if type(failure).checks else type(failure).__name__


def _describe(failure: Failure) -> str:
    text = f"{failure.title}: {failure.message}" if failure.message else failure.title
    return " ".join(text.split())[:400]


def _answer(response: Response, limit: int = 600) -> str:
    body = response.content or b""
    text = body[:limit].decode("utf-8", "replace") + (" ..." if len(body) > limit else "")
    content_type = response.headers.get("content-type", ["?"])[0]
    return f"HTTP {response.status_code} ({content_type})\n{text}"


def _reason(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text.splitlines()[0][:200]}"


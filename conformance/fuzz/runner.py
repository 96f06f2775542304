"""The fuzz run: schemathesis generates requests from openapi/, sends them, and its checks judge the answers.

For each operation the run sends schemathesis's coverage cases (boundary
values and one violation at a time, deterministic) when asked, then `examples`
hypothesis-generated cases per mode: positive (valid per the request schema)
and negative (invalid). Generation is seeded and derandomized, with no example
database, so the same seed sends the same requests (and cassettes can replay them).
Every case is shaped before it is sent (`shaping`); every other one on a
streaming operation asks for a stream, so stream events are validated too.

Each (requirement, operation) gets one Outcome: its failures grouped into
classes, each with its smallest failing request as curl, key masked
(`findings`). Every request sent is counted, auth probes included, and so are
the tokens the generating answers report, or that they reported none.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from ..catalogue.requirements import FUZZ_REQUIREMENTS
from ..outcomes.outcome import Outcome
from ..wire.cost import reported_usage
from ..wire.discovery import discover_models, likely_messages_model
from ..wire.exchange import mask
from ..wire.sse import parse
from ..wire.target import Caller, Target, reason
from .config import load_schema
from .findings import Finding, OperationTally, error_gist, report
from .requirements import CHECK_NAMES, EXPECTED, FuzzResult, default_examples
from .schemathesis_api import (
    SERVER_ERROR_CHECK,
    Case,
    CheckFailure,
    GenerationMode,
    Response,
    check_functions,
    content_type,
    coverage_cases,
    curl,
    describe,
    failure_check,
    failure_key,
    generated_cases,
    is_negative,
    is_server_error,
    is_unexpected_method,
    judge,
    operations,
    send,
)
from .shaping import TOKEN_LIMITS, shape

__all__ = ["CHECKS", "FuzzRun", "Tally", "run_fuzz"]

# The check functions behind each requirement; one validation call per requirement keeps the blame exact.
CHECKS = {requirement: check_functions(names) for requirement, names in CHECK_NAMES.items()}

GENERATING = frozenset(TOKEN_LIMITS)  # operations whose answers spend tokens and report their usage


@dataclass
class Tally:
    """Cases sent on one operation, by source, and how many answers were streams."""

    coverage: int = 0
    positive: int = 0
    negative: int = 0
    streams: int = 0


@dataclass
class Spend:
    """Tokens the fuzzed answers reported, and the generating 2xx answers that reported none."""

    input_tokens: int = 0
    output_tokens: int = 0
    without_usage: int = 0

    def count(self, label: str, sent: Any, response: Response | None) -> None:
        """Add what one answer reported; `sent` is the request body, whose explicit opt-out makes no usage right."""
        if response is None or label not in GENERATING or not 200 <= response.status_code < 300:
            return
        body = response.content or b""
        if content_type(response).startswith("text/event-stream"):
            usage = reported_usage(None, parse(body)[0])
        else:
            try:
                usage = reported_usage(json.loads(body))
            except ValueError:
                usage = None
        options = sent.get("stream_options") if isinstance(sent, dict) else None
        if usage is None and not (isinstance(options, dict) and options.get("include_usage") is False):
            self.without_usage += 1
        elif usage is None:
            return
        else:
            self.input_tokens += usage[0]
            self.output_tokens += usage[1]


class FuzzRun:
    """One fuzz run against one target: the schema aimed at it, one HTTP session, and what it sent so far."""

    def __init__(self, target: Target, examples: int, seed: int, coverage: bool, model: str, messages_model: str):
        self.target = target
        self.examples = examples
        self.seed = seed
        self.coverage = coverage
        self.model = model
        self.messages_model = messages_model
        self.schema = load_schema(target, examples, seed, coverage)
        self.requests = 0
        self.spend = Spend()
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def operations(self, only: Iterable[str] | None = None) -> Iterator[Any]:
        return operations(self.schema, only)

    def cases(self, operation: Any, tally: Tally | None = None) -> Iterator[Case]:
        """Every case the run sends on the operation, shaped, in order; none is sent here."""
        tally = Tally() if tally is None else tally
        if self.coverage:
            for case in coverage_cases(self.schema, operation):
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
        """Up to `examples` cases drawn by hypothesis, seeded, not yet shaped; no request is sent while drawing."""
        return generated_cases(operation, mode, self.examples, self.seed)

    def send(self, case: Case) -> Response:
        self.requests += 1
        response = send(case, self.session)
        self.spend.count(case.operation.label, case.body, response)
        return response

    def judge(self, case: Case, response: Response, requirement: str, verdict: OperationTally) -> None:
        judgement = judge(case, response, CHECKS[requirement])
        verdict.judged += 1
        self.requests += judgement.probes  # probes the check sent (ignored_auth)
        for probe in judgement.probe_answers:
            self.spend.count(case.operation.label, case.body, probe)
        for failed in judgement.failed:
            verdict.add(self.finding(failed))
        if judgement.crash is not None:
            verdict.errors.append(_reason(judgement.crash))

    def finding(self, failed: CheckFailure) -> Finding:
        """A failure as evidence: its class, a description, the request that caused it as curl and the answer."""
        failure, response = failed.failure, failed.response
        check = failure_check(failure)
        key: tuple[str, ...] = (check, *failure_key(failure))
        description = describe(failure)
        if is_server_error(failure) and response is not None:
            shown, gist = error_gist(response.content or b"")
            key += (gist,)
            description = f"{failure.title}: HTTP {response.status_code}" + (f", {shown!r}" if shown else "")
        command = curl(failed.case, self.target.base_url, response)
        answer = _answer(response) if response is not None else "no answer recorded"
        return Finding(check, key, mask(description, self.target.api_key), mask(command, self.target.api_key),
                       mask(answer, self.target.api_key))

    def unanswered(self, case: Case, exc: BaseException) -> Finding:
        command = mask(curl(case, self.target.base_url), self.target.api_key)
        return Finding(SERVER_ERROR_CHECK, (SERVER_ERROR_CHECK, "no answer", type(exc).__name__),
                       mask(f"no answer: {_reason(exc)}", self.target.api_key), command, "no answer")

    def fuzz(self, operation: Any) -> tuple[dict[str, OperationTally], Tally, float]:
        started = time.monotonic()
        verdicts = {requirement: OperationTally() for requirement in CHECKS}
        tally = Tally()
        probed = False
        for case in self.cases(operation, tally):
            try:
                response = self.send(case)
            except (requests.RequestException, TimeoutError, OSError) as exc:
                verdict = verdicts["FUZZ-001"]
                verdict.judged += 1
                verdict.add(self.unanswered(case, exc))
                continue
            except Exception as exc:  # schemathesis could not send this case at all: the suite's problem
                verdicts["FUZZ-001"].errors.append(f"could not send a {case.method} case: {_reason(exc)}")
                continue
            tally.streams += content_type(response).startswith("text/event-stream")
            for requirement in CHECKS:
                if requirement == "FUZZ-005" and not is_negative(case):
                    continue
                if requirement == "FUZZ-007" and not is_unexpected_method(case):
                    continue
                if requirement == "FUZZ-006":
                    # Enforcement is a property of the operation: probe it once, on the first request it accepted.
                    if probed or not 200 <= response.status_code < 300:
                        continue
                    probed = True
                self.judge(case, response, requirement, verdicts[requirement])
        return verdicts, tally, time.monotonic() - started

    def outcomes(self, operation: Any, verdicts: dict[str, OperationTally], tally: Tally, elapsed: float) -> list[Outcome]:
        label = operation.label
        summary = (f"schemathesis, seed {self.seed}: {tally.coverage} coverage, {tally.positive} positive and "
                   f"{tally.negative} negative cases; {tally.streams} streams judged event by event")
        results = []
        for requirement in FUZZ_REQUIREMENTS:
            level = requirement.level(self.target.profile)
            if level is None:
                continue
            nothing = _NOTHING_JUDGED.get(requirement.id, "no response to judge").format(
                coverage="" if self.coverage else " (the coverage phase is off for this target)")
            found = report(verdicts[requirement.id], nothing)
            results.append(Outcome(
                id=requirement.id, level=level, endpoint=label, statement=requirement.statement, case=summary,
                outcome=found.outcome, expected=EXPECTED[requirement.id], actual=found.actual,
                duration_s=round(elapsed, 3), exchange=found.exchange, violations=list(found.violations),
                violations_more=found.violations_more,
            ))
        return results


def run_fuzz(target: Target, examples: int | None = None, seed: int = 0, *, coverage: bool | None = None,
             operations: Iterable[str] | None = None, model: str | None = None,
             messages_model: str | None = None) -> FuzzResult:
    """Fuzz the target from the contract: one Outcome per FUZZ requirement and operation, and what it spent.

    `examples` is the number of generated cases per operation and mode (positive,
    negative); by default 25 against the reference server and 5 elsewhere.
    `coverage` adds schemathesis's coverage cases (about 1,400 requests over the
    five operations); by default only against the reference server.
    `operations` restricts the run to some labels, e.g. {"POST /chat/completions"}.
    `model` and `messages_model` are the models the requests name (a certification passes those it chose);
    without `model`, the first one `GET /models` lists, and a Claude model on /messages when one is listed.
    """
    examples = default_examples(target) if examples is None else examples
    coverage = target.kind == "reference" if coverage is None else coverage
    discovery = 0
    if not model:
        caller = Caller(target)
        try:
            listed = discover_models(caller)
        finally:
            caller.close()
            discovery = caller.cost.requests
        model, messages_model = listed[0], messages_model or likely_messages_model(listed)
    run = FuzzRun(target, examples, seed, coverage, model, messages_model or model)
    outcomes: list[Outcome] = []
    try:
        for operation in run.operations(operations):
            outcomes.extend(run.outcomes(operation, *run.fuzz(operation)))
    finally:
        run.close()
    return FuzzResult(outcomes, discovery + run.requests, run.spend.input_tokens, run.spend.output_tokens,
                      run.spend.without_usage)


_NOTHING_JUDGED = {
    "FUZZ-005": "no invalid request could be generated for this operation{coverage}",
    "FUZZ-006": "no generated request was accepted (2xx), so there was no request to strip of its key",
    "FUZZ-007": "undeclared methods are sent only by the coverage phase{coverage}",
}


def _answer(response: Response, limit: int = 600) -> str:
    body = response.content or b""
    text = body[:limit].decode("utf-8", "replace") + (" ..." if len(body) > limit else "")
    return f"HTTP {response.status_code} ({content_type(response) or '?'})\n{text}"


def _reason(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {reason(exc)}"

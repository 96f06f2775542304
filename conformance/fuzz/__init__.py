"""Fuzzing from the contract with schemathesis: the FUZZ requirements, the request budgets, and `run_fuzz`.

This module stays light (no schemathesis import) so the catalogue and the CLI
can name the FUZZ requirements without paying for the fuzzer; `run_fuzz`
loads `runner`, where schemathesis drives the target. The package:

- `schemathesis_api`: the one module that imports schemathesis (its internals pinned there);
- `config`: the schemathesis configuration and the contract loaded with it;
- `shaping`: generated requests made worth sending, validity kept;
- `findings`: failures grouped into classes, each with its smallest curl;
- `runner`: the run itself, from the cases to the outcomes and what they cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from ..catalogue.requirements import FUZZ_REQUIREMENTS

if TYPE_CHECKING:
    from ..outcomes.outcome import Outcome
    from ..wire.target import Target

__all__ = ["CHECK_NAMES", "FUZZ_REQUIREMENTS", "FuzzResult", "LIVE_EXAMPLES", "REFERENCE_EXAMPLES", "default_examples",
           "run_fuzz"]

REFERENCE_EXAMPLES = 25  # generated cases per operation and mode on loopback, where requests are free
LIVE_EXAMPLES = 5  # elsewhere each request is billed

# The schemathesis checks that judge each requirement.
CHECK_NAMES: dict[str, tuple[str, ...]] = {
    "FUZZ-001": ("not_a_server_error",),
    "FUZZ-002": ("status_code_conformance",),
    "FUZZ-003": ("content_type_conformance",),
    "FUZZ-004": ("response_schema_conformance",),
    "FUZZ-005": ("negative_data_rejection", "missing_required_header"),
    "FUZZ-006": ("ignored_auth",),
    "FUZZ-007": ("unsupported_method", "allow_header_conformance"),
}

EXPECTED = {
    "FUZZ-001": "an answer below 500 to every generated request",
    "FUZZ-002": "only the status codes the contract documents for the operation",
    "FUZZ-003": "a documented Content-Type on every response",
    "FUZZ-004": "every body and every stream event valid against the contract",
    "FUZZ-005": "a 4xx refusal of every request that breaks the request schema",
    "FUZZ-006": "401 or 403 without a key, with a wrong bearer token, and with a wrong X-API-KEY",
    "FUZZ-007": "405 with an Allow header for every undeclared method",
}


@dataclass
class FuzzResult:
    """A fuzz run: its outcomes, and what it spent.

    `requests` counts everything sent (model discovery and auth probes included);
    tokens are those the fuzzed answers reported. `responses_without_usage` counts
    the 2xx answers of generating operations that reported no usage: their tokens
    were spent but are unknown, not zero.
    """

    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    responses_without_usage: int = 0


def default_examples(target: Target) -> int:
    return REFERENCE_EXAMPLES if target.kind == "reference" else LIVE_EXAMPLES


def run_fuzz(target: Target, examples: int | None = None, seed: int = 0, *, coverage: bool | None = None,
             operations: Iterable[str] | None = None) -> FuzzResult:
    """Fuzz the target from the contract: one Outcome per FUZZ requirement and operation, and what it spent.

    `examples` is the number of generated cases per operation and mode (positive,
    negative); by default 25 against the reference server and 5 elsewhere.
    `coverage` adds schemathesis's coverage cases (about 1,400 requests over the
    five operations); by default only against the reference server.
    `operations` restricts the run to some labels, e.g. {"POST /chat/completions"}.
    """
    from .runner import run_fuzz as run

    return run(target, examples, seed, coverage=coverage, operations=operations)

"""What a fuzz run judges and spends: the schemathesis checks behind each FUZZ requirement, the request budgets,
and the result. Light (no schemathesis import), so the catalogue and the CLI can name them for free."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..outcomes.outcome import Outcome
    from ..wire.target import Target

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

"""The schemathesis configuration of a fuzz run, and the contract loaded with it, aimed at a target.

Also what schemathesis's pytest integration loads in the tests, so a test and
a run generate from the same settings.
"""

from __future__ import annotations

from typing import Any

from ..catalogue.contract import contract_path
from ..wire.exchange import MASK
from ..wire.target import Target
from .requirements import default_examples
from .schemathesis_api import SchemathesisConfig, load_openapi

MAX_STREAM_EVENTS = 1000  # above a whole stream of the capped outputs; schemathesis reads only 20 by default

# A refusal is a 4xx; schemathesis also counts a 5xx as "rejected", which FUZZ-001 judges instead.
REJECTION_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

# Mask the key, keep token counts: schemathesis's default markers ("token", "key") hide `max_tokens` and usage.
SANITIZATION = {
    "keys-to-sanitize": ["authorization", "x-api-key", "api-key", "api_key", "apikey", "proxy-authorization",
                         "cookie", "set-cookie"],
    "sensitive-markers": ["authorization", "api-key", "api_key", "apikey", "secret", "password", "passwd",
                          "credential", "cookie", "session"],
    "replacement": MASK,
}


def schemathesis_config(target: Target, examples: int, seed: int, coverage: bool = True) -> SchemathesisConfig:
    """Seeded, deterministic, no example database (so cassettes can replay it), the key as bearer auth."""
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
    return load_openapi(contract_path(), schemathesis_config(target, examples, seed, coverage))

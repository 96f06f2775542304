"""Fuzzing from the contract with schemathesis: the FUZZ requirements, the request budgets, and `run_fuzz`.

Importing the package stays light (no schemathesis), so the catalogue and the
CLI can name the FUZZ requirements without paying for the fuzzer; `run_fuzz`
loads `runner`, where schemathesis drives the target, on first use. The package:

- `requirements`: the checks behind each FUZZ requirement, the request budgets, the result;
- `schemathesis_api`: the one module that imports schemathesis (its internals pinned there);
- `config`: the schemathesis configuration and the contract loaded with it;
- `shaping`: generated requests made worth sending, validity kept;
- `findings`: failures grouped into classes, each with its smallest curl;
- `runner`: the run itself, from the cases to the outcomes and what they cost.
"""

from __future__ import annotations

from typing import Any

from ..catalogue.requirements import FUZZ_REQUIREMENTS
from .requirements import CHECK_NAMES, EXPECTED, LIVE_EXAMPLES, REFERENCE_EXAMPLES, FuzzResult, default_examples

__all__ = ["CHECK_NAMES", "EXPECTED", "FUZZ_REQUIREMENTS", "FuzzResult", "LIVE_EXAMPLES", "REFERENCE_EXAMPLES",
           "default_examples", "run_fuzz"]


def __getattr__(name: str) -> Any:
    """`run_fuzz` is re-exported from `runner` when first asked for, so importing the package loads no schemathesis."""
    if name == "run_fuzz":
        from .runner import run_fuzz

        return run_fuzz
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The options the front-ends share, each defined once: its spellings, help, default, environment variable and type.

`crun-conformance certify`, `crun-conformance load` and the pytest plugin
register these from this one table (`add_arguments`, `add_pytest_options`),
so a name, a default or a help text cannot drift between them. Options only
one front-end has (certify's --record, load's --users, the plugin's --target)
stay with it.

Where pytest already owns a spelling, the plugin uses another one, and
certify and load accept it too, so one spelling works everywhere:
`--strict-should` (pytest's `--strict` enables its own strict mode),
`--check-timeout` (pytest-timeout's `--timeout` is a per-test limit) and
`--report-junit` (pytest's `--junit-xml` writes its own JUnit report).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .catalogue.requirements import DEFAULT_PROFILE, PROFILES
from .run.session import DEFAULT_CONCURRENCY, DEFAULT_CONCURRENCY_TOTAL
from .wire.discovery import ModelChoice
from .wire.target import DEFAULT_TIMEOUT_S


@dataclass(frozen=True)
class Option:
    """One option as every front-end that has it registers it."""

    flags: tuple[str, ...]  # command-line spellings; the first is the one the help and errors use
    help: str
    default: Any = None
    env: str | None = None  # read when the option is not given
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    switch: bool = False  # a flag without a value (store_true)
    pytest_flags: tuple[str, ...] | None = None  # the plugin's spellings where pytest owns the first one
    shared_with: str | None = None  # a pytest plugin that defines the same option: the plugin then reads that one

    @property
    def name(self) -> str:
        """The value's name (`--report-json` → report_json), from the first long spelling."""
        return next(f for f in self.flags if f.startswith("--")).removeprefix("--").replace("-", "_")

    @property
    def pytest_dest(self) -> str:
        """Where pytest keeps the value: under a crun_ name, so another plugin's option of that name cannot
        overwrite it; an option shared with another plugin keeps that plugin's name."""
        return self.name if self.shared_with else f"crun_{self.name}"

    @property
    def help_text(self) -> str:
        return self.help + (f" (env {self.env})" if self.env else "")

    def value(self, given: Any = None) -> Any:
        """The value in force: the one given, else the environment variable's (when set and not empty), else the
        default."""
        if given is not None:
            return given
        from_env = os.environ.get(self.env) if self.env else None
        if from_env:
            return self.type(from_env) if self.type else from_env
        return self.default

    def _spec(self) -> dict[str, Any]:
        if self.switch:
            return {"action": "store_true", "help": self.help_text}
        spec: dict[str, Any] = {"help": self.help_text}
        for key in ("type", "choices", "metavar"):
            if getattr(self, key) is not None:
                spec[key] = getattr(self, key)
        return spec


OPTIONS: dict[str, Option] = {option.name: option for option in (
    Option(("--base-url",), "the server, up to and including the version (…/api/v1); default: the embedded "
           "reference server", env="CRUN_BASE_URL", metavar="URL", shared_with="pytest_base_url"),
    Option(("--api-key",), "its API key; never printed, logged, recorded or written to a report", env="CRUN_API_KEY",
           metavar="KEY"),
    Option(("--model",), "the model to test; default: the first one GET /models lists", env="CRUN_MODEL",
           metavar="ID"),
    Option(("--messages-model",), "the model for /messages; default: with --model or --models, the same model(s); "
           "else a Claude model GET /models lists", metavar="ID"),
    Option(("--models",), "several models: comma-separated ids, or all for every id GET /models lists (certify "
           "judges each, a matrix; load sends to each in turn)", metavar="LIST|all"),
    Option(("--models-match",), "keep only the matrix models this regular expression matches", metavar="REGEX"),
    Option(("--messages-models",), "the matrix models judged on /messages (default: all of them)", metavar="LIST"),
    Option(("--profile",), f"which requirements apply: {DEFAULT_PROFILE} (default: everything the CRUN pages "
           "promise) or openai (the plain OpenAI/Anthropic baseline); a replay defaults to the recorded profile",
           choices=PROFILES),
    Option(("--strict", "--strict-should"), "SHOULD failures fail the certification too", switch=True, default=False,
           pytest_flags=("--strict-should",)),
    Option(("--timeout", "--check-timeout"), f"deadline per request, seconds (default {DEFAULT_TIMEOUT_S:g})",
           default=DEFAULT_TIMEOUT_S, type=float, metavar="S", pytest_flags=("--check-timeout",)),
    Option(("--concurrency",), f"requests in flight at most per model (default {DEFAULT_CONCURRENCY}; 1: one at a "
           "time in all); the run starts there and backs off on 429, 503 and connection errors",
           default=DEFAULT_CONCURRENCY, type=int, metavar="N"),
    Option(("--concurrency-total",), f"requests in flight at most in all, every model together (default "
           f"{DEFAULT_CONCURRENCY_TOTAL}); the run starts there and backs off the same way",
           default=DEFAULT_CONCURRENCY_TOTAL, type=int, metavar="N"),
    Option(("--fuzz",), "also fuzz every operation from openapi/ with schemathesis (FUZZ-*)", switch=True,
           default=False),
    Option(("--fuzz-examples",), "generated cases per operation and mode (default 25 on the reference server, "
           "5 elsewhere)", type=int, metavar="N"),
    Option(("--report-json",), "write the JSON report here", metavar="PATH"),
    Option(("--report-md",), "write the Markdown report here", metavar="PATH"),
    Option(("--report-html",), "write a self-contained HTML matrix of the results here", metavar="PATH"),
    Option(("--junit-xml", "--report-junit"), "write the checks as a JUnit XML report here", metavar="PATH",
           pytest_flags=("--report-junit",)),
    Option(("-q", "--quiet"), "no plan, no progress: only the summary", switch=True, default=False),
)}

MODEL_OPTIONS = ("base_url", "api_key", "model", "messages_model", "models", "models_match", "messages_models")
CERTIFY = (*MODEL_OPTIONS, "profile", "strict", "timeout", "concurrency", "concurrency_total", "fuzz", "fuzz_examples",
           "report_json", "report_md", "junit_xml", "report_html", "quiet")
LOAD = ("base_url", "api_key", "model", "models", "messages_model", "profile", "strict", "timeout", "report_json", "report_md",
        "report_html", "quiet")
PYTEST = (*MODEL_OPTIONS, "profile", "strict", "timeout", "concurrency", "concurrency_total", "fuzz", "fuzz_examples",
          "report_json", "report_md", "report_html", "junit_xml")


def add_arguments(parser: argparse.ArgumentParser, names: Iterable[str]) -> None:
    """Register the named options on an argparse (sub)parser; their defaults read the environment now."""
    for name in names:
        option = OPTIONS[name]
        parser.add_argument(*option.flags, dest=option.name, default=option.value(), **option._spec())


def add_pytest_options(group: Any, names: Iterable[str]) -> None:
    """Register the named options in a pytest option group; `pytest_values` reads them with the environment."""
    for name in names:
        option = OPTIONS[name]
        if option.shared_with and importlib.util.find_spec(option.shared_with) is not None:
            continue  # that plugin defines it (the same name, the same meaning): defining it twice breaks pytest
        group.addoption(*(option.pytest_flags or option.flags), dest=option.pytest_dest, default=None,
                        **option._spec())


def pytest_values(getoption: Callable[[str], Any], names: Iterable[str] = PYTEST) -> argparse.Namespace:
    """The plugin's values by the same names certify uses (`values.timeout`), the environment applied."""
    return argparse.Namespace(**{name: OPTIONS[name].value(getoption(OPTIONS[name].pytest_dest)) for name in names})


def model_choice(values: Any) -> ModelChoice:
    """The models asked for, checked before any request; a mistake is a ValueError said in one line."""
    def listed(value: str | None) -> tuple[str, ...] | None:
        items = tuple(m.strip() for m in value.split(",") if m.strip()) if value else ()
        return items or None

    models, match = values.models, getattr(values, "models_match", None)
    messages_models = getattr(values, "messages_models", None)
    if models is not None and not listed(models):
        raise ValueError("--models needs a comma-separated list of model ids, or all")
    if models is not None and values.model:
        raise ValueError("--model (or CRUN_MODEL) and --models exclude each other: --models chooses every model")
    if models is None and (match or messages_models):
        raise ValueError("--models-match and --messages-models narrow a matrix: add --models LIST|all")
    if match:
        try:
            re.compile(match)
        except re.error as exc:
            raise ValueError(f"--models-match {match!r} is not a regular expression: {exc}") from None
    return ModelChoice(model=values.model, messages_model=values.messages_model, models=listed(models),
                       models_match=match, messages_models=listed(messages_models))

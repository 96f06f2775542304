"""The options the front-ends share are defined once (conformance/options.py) and registered from that definition."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys

import pytest

from conformance import options, plugin
from conformance.cli import _parser
from conformance.options import CERTIFY, LOAD, OPTIONS, PYTEST


def subparser(command: str) -> argparse.ArgumentParser:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command]


def registered(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {action.dest: action for action in parser._actions}


class Group:
    """Stands in for a pytest option group: records what is added."""

    def __init__(self) -> None:
        self.added: dict[str, tuple[tuple[str, ...], dict]] = {}

    def addoption(self, *flags: str, **spec) -> None:
        self.added[spec.get("dest") or flags[0].lstrip("-").replace("-", "_")] = (flags, spec)


class Parser:
    def __init__(self) -> None:
        self.group = Group()

    def getgroup(self, name: str, description: str = "") -> Group:
        return self.group


def pytest_options(monkeypatch, base_url_plugin: bool = False) -> dict:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: (object() if base_url_plugin else None) if name == "pytest_base_url"
                        else find_spec(name, *a))
    parser = Parser()
    plugin.pytest_addoption(parser)
    return parser.group.added


def test_every_option_has_help_and_a_front_end():
    for name, option in OPTIONS.items():
        assert option.help.strip(), name
        assert name in CERTIFY or name in LOAD or name in PYTEST, name


def test_every_option_and_argument_of_every_command_has_help_text():
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    missing = [f"{command} {action.option_strings or action.dest}" for command, parser in commands.items()
               for action in parser._actions if not (action.help or "").strip()]
    assert missing == []


def test_the_messages_model_default_reads_the_same_in_the_readme_and_in_help(capsys):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `--messages-model ID`"))
    assert row.split("|")[3].strip().replace("`", "") == OPTIONS["messages_model"].help
    help_text = " ".join(subparser("load").format_help().split())
    assert " ".join(OPTIONS["messages_model"].help.split()) in help_text


@pytest.mark.parametrize(("command", "names"), [("certify", CERTIFY), ("load", LOAD)])
def test_the_commands_register_the_table_as_written(command, names):
    actions = registered(subparser(command))
    for name in names:
        option, action = OPTIONS[name], actions[name]
        assert tuple(action.option_strings) == option.flags
        assert action.help == option.help_text
        assert action.choices == option.choices and action.metavar == option.metavar


def test_the_plugin_registers_the_table_with_the_same_help(monkeypatch):
    added = pytest_options(monkeypatch)
    for name in PYTEST:
        option = OPTIONS[name]
        flags, spec = added[option.pytest_dest]
        assert flags == (option.pytest_flags or option.flags)
        assert spec["help"] == option.help_text
        assert spec["default"] is None  # the default is applied when read, after the environment


def test_every_spelling_of_the_plugin_works_for_certify_too(monkeypatch):
    """One spelling works everywhere: where pytest owns a name, certify accepts the plugin's one as well."""
    certify = {flag for action in subparser("certify")._actions for flag in action.option_strings}
    plugin_flags = {flag for flags, _ in pytest_options(monkeypatch).values() for flag in flags}
    assert plugin_flags - {"--target", "--cassette-dir"} <= certify


def test_the_plugin_leaves_base_url_to_pytest_base_url_when_it_is_installed(monkeypatch):
    added = pytest_options(monkeypatch, base_url_plugin=True)
    assert "base_url" not in added and "crun_api_key" in added


def test_pytest_knows_every_spelling_and_none_clashes_with_its_own():
    shown = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conformance.plugin",
                            "--help"], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    for name in PYTEST:
        assert (OPTIONS[name].pytest_flags or OPTIONS[name].flags)[0] in shown.stdout


@pytest.mark.parametrize("env,name,value", [("CRUN_BASE_URL", "base_url", "http://gateway.invalid/v1"),
                                            ("CRUN_API_KEY", "api_key", "sk-from-the-environment"),
                                            ("CRUN_MODEL", "model", "model-from-the-environment")])
def test_the_environment_is_honoured_by_every_front_end_and_an_option_wins(monkeypatch, env, name, value):
    monkeypatch.setenv(env, value)
    flag = OPTIONS[name].flags[0]
    for command in ("certify", "load"):
        assert getattr(_parser().parse_args([command]), name) == value
        assert getattr(_parser().parse_args([command, flag, "given"]), name) == "given"
    assert getattr(options.pytest_values(lambda dest: None), name) == value
    given = {OPTIONS[name].pytest_dest: "given"}
    assert getattr(options.pytest_values(given.get), name) == "given"


def test_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("CRUN_MODEL", "")
    assert options.pytest_values(lambda dest: None).model is None


def test_defaults_are_the_same_in_every_front_end(monkeypatch):
    for name in ("CRUN_BASE_URL", "CRUN_API_KEY", "CRUN_MODEL"):
        monkeypatch.delenv(name, raising=False)
    from_pytest = options.pytest_values(lambda dest: None)
    for command, names in (("certify", CERTIFY), ("load", LOAD)):
        parsed = _parser().parse_args([command])
        for name in set(names) & set(PYTEST):
            assert getattr(parsed, name) == getattr(from_pytest, name), (command, name)


@pytest.mark.parametrize(("given", "problem"), [
    ({"models": " , "}, "--models needs a comma-separated list"),
    ({"models_match": "gpt"}, "narrow a matrix: add --models"),
    ({"models": "all", "models_match": "(unclosed"}, "not a regular expression"),
])
def test_a_model_choice_is_checked_the_same_way_everywhere(given, problem):
    values = argparse.Namespace(**{name: None for name in options.MODEL_OPTIONS})
    vars(values).update(given)
    with pytest.raises(ValueError, match=problem):
        options.model_choice(values)

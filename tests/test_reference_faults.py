"""Fault switches are checked names: each fault is declared once, switched by its constant, and a typo fails loudly."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

import conformance.reference.faults as faults_module
from conformance.reference import ReferenceConfig
from conformance.reference.faults import CHAT_NO_DONE, FAULTS, MODELS_BEARER_REFUSED, _f, _registry
from conformance.suite.cases import CASES

REFERENCE = Path(faults_module.__file__).parent


def _trees() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(), str(path)) for path in sorted(REFERENCE.glob("*.py"))}


def test_each_fault_is_a_constant_named_as_the_fault():
    for name, fault in FAULTS.items():
        assert getattr(faults_module, name.upper()) is fault
    with pytest.raises(ValueError, match="as CHAT_NO_DONE"):
        _registry({"NO_DONE": _f("chat_no_done", "misnamed", "CHAT-STREAM-003")})


def test_no_switch_spells_a_fault_by_its_name():
    """Grepping a fault's constant finds every switch: no module of the server spells a fault's name.

    A name assembled at run time (`f"huge_{name}_refused"`) cannot switch anything either: a `FaultSet` refuses
    any string (test_a_bare_name_or_an_unknown_name_is_refused)."""
    for module, tree in _trees().items():
        if module == "faults.py":
            continue
        named = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and node.value in FAULTS}
        assert not named, f"conformance/reference/{module} names faults as strings: {sorted(named)}"


def test_every_fault_has_a_switch():
    used: set[str] = set()
    for tree in _trees().values():
        used |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    unswitched = sorted(name for name in FAULTS if name.upper() not in used)
    assert not unswitched, f"faults declared but never switched: {unswitched}"


def test_a_bare_name_or_an_unknown_name_is_refused():
    config = ReferenceConfig(faults=frozenset({"chat_no_done"}))
    assert CHAT_NO_DONE in config.faults and MODELS_BEARER_REFUSED not in config.faults
    assert config.faults == ReferenceConfig(faults={CHAT_NO_DONE}).faults
    with pytest.raises(TypeError, match="declared Fault"):
        _ = "chat_no_done" in config.faults
    with pytest.raises(ValueError, match="unknown fault.*'chat_no_dne'"):
        ReferenceConfig(faults=frozenset({"chat_no_dne"}))


def test_a_config_keeps_its_faults_across_processes():
    config = pickle.loads(pickle.dumps(ReferenceConfig(faults={CHAT_NO_DONE})))
    assert CHAT_NO_DONE in config.faults


def test_whole_case_faults_expand_to_every_check_of_their_cases_but_what_holds():
    models_list = next(case for case in CASES if case.id == "models_list")
    assert MODELS_BEARER_REFUSED.breaks_in(CASES) == {c.requirement for c in models_list.checks} - {"AUTH-005", "ERR-006"}
    for fault in FAULTS.values():
        fault.breaks_in(CASES)  # a pattern matching no case is refused
    stray = _f("stray", "names a case the suite does not have", every_check_of=("no_such_case",))
    with pytest.raises(ValueError, match="no case of the suite matches 'no_such_case'"):
        stray.breaks_in(CASES)

"""The conformance suite as pytest tests: one per requirement, case and model, parametrized by the plugin."""

from conformance.plugin import raise_pytest_result


def test_requirement(conformance, case_check):
    unit, check = case_check
    raise_pytest_result(conformance.outcome(unit, check))

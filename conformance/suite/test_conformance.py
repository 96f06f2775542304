"""The conformance suite as pytest tests: one per requirement, case and model, parametrized by the plugin."""

from conformance.plugin import verdict


def test_requirement(conformance, case_check):
    unit, check = case_check
    verdict(conformance.outcome(unit, check))

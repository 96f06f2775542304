"""The conformance suite as pytest tests: one per requirement and case, parametrized by the plugin."""

from conformance.plugin import verdict


def test_requirement(conformance, case_check):
    case, check = case_check
    verdict(conformance.judge(case, check))

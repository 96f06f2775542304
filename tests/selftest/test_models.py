"""Whatever its model says, a server that keeps every promise is certified: the reference server with each of its
built-in models (the default one, an echo, a terse one), in both profiles, with and without --strict.

A check that needs the model's cooperation conditions on evidence or says "not judged", with the reason, in the
JSON report's `not_judged` list; the default model, which reaches every limit and repeats every passage, leaves no
MUST unjudged.
"""

from __future__ import annotations

import pytest

from conformance.catalogue.requirements import PROFILES
from conformance.outcomes.verdict import FAILING
from conformance.reference.faults import EVIDENCE_FAULTS, Fault
from conformance.suite.cases import CASES

from .conftest import MESSAGES_MODEL, MODEL, Runs, brief, judged

BUILT_IN = {"default": (MODEL, MESSAGES_MODEL), "echo": ("crun-echo", "crun-echo"), "terse": ("crun-terse", "crun-terse")}


@pytest.mark.parametrize("strict", (False, True), ids=("lenient", "strict"))
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("behaviour", BUILT_IN)
def test_the_reference_server_is_certified_whatever_its_model_says(behaviour: str, profile: str, strict: bool,
                                                                    runs: Runs) -> None:
    run = runs.of(profile=profile, model=BUILT_IN[behaviour], strict=strict)
    assert run.report is not None, run.err
    broken = sorted({f"{c['id']} ({c['case']}): {c['actual']}" for c in run.checks if c["outcome"] in FAILING})
    assert run.code == 0, f"{behaviour} model, {profile}{' --strict' if strict else ''}: exit {run.code}\n" + "\n".join(broken)
    listed = run.report["not_judged"]
    marked = [c for c in run.checks if c["outcome"] == "skipped" and c["skip_kind"] == "not judged"]
    assert [(n["id"], n["case"]) for n in listed] == [(c["id"], c["case"]) for c in marked]
    assert all(n["reason"] and c["actual"] == f"not judged: {n['reason']}" for n, c in zip(listed, marked, strict=True))
    if behaviour == "default":
        assert not [n for n in listed if n["level"] == "MUST"], f"MUSTs not judged for the default model: {listed}"
    if behaviour == "terse":  # one word never reaches a limit: the cut-answer rules say so instead of failing
        assert {"RESP-005", "RESP-STREAM-008", "CHAT-003", "MSG-011"} <= {n["id"] for n in listed}


@pytest.mark.parametrize("fault", EVIDENCE_FAULTS, ids=lambda f: f.name)
def test_an_echo_upstream_does_not_hide_a_break(fault: Fault, runs: Runs) -> None:
    """The proxy of issue 22 sat in front of an echo: each break the evidence rule catches is caught through the echo
    model too, exactly (the requests ask for what any model produces: a passage to repeat, a forced tool)."""
    run = runs.of({fault.name}, model=BUILT_IN["echo"])
    expected = fault.breaks_in(CASES) & {r.id for r in judged("crun")}
    assert run.failed == expected and not run.errors, (
        f"{fault.name} through the echo model: expected {brief(expected)}, failed {brief(run.failed)}\n"
        + run.findings(run.failed ^ expected | run.errors))
    assert run.code == 1


def test_a_terse_upstream_never_passes_a_check_it_could_not_exercise(runs: Runs) -> None:
    """One word never reaches a limit or a stop sequence: behind a server that ignores stop and raises every limit,
    the cap and stop checks must say "not judged", never "passed" (a pass would certify a break no one saw)."""
    run = runs.of({"stop_ignored", "messages_stop_sequences_ignored", "limits_raised"}, model=BUILT_IN["terse"])
    assert run.report is not None, run.err
    exercised = {"CHAT-003", "CHAT-008", "CHAT-010", "RESP-004", "MSG-011", "MSG-012"}
    passed = sorted({f"{c['id']} ({c['case']})" for c in run.checks if c["id"] in exercised and c["outcome"] == "passed"})
    assert not passed, f"passed without evidence: {passed}"
    assert exercised <= {n["id"] for n in run.report["not_judged"]}

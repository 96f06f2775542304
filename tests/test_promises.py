"""The promise inventory agrees with the catalogue and with the faults both ways, and every quote is the page's own words.

An inventory entry that names a requirement the catalogue does not hold is a
promise checked by nothing; a requirement that cites a seed page with no
inventory entry tying it to that page holds servers to something the page may
not promise. The quotes are compared with the seed pages when they are at hand:
in the directory CRUN_SEEDS_DIR names, else in `seeds/` of the clone or in
`../shared/seeds` beside it (where CI puts them).

"Checked" means caught. Each fault a promise names in `broken_by` exists, is
judged by the self-test's certify runs in the promise's profile, and breaks one
of the promise's requirements; for a checked promise, the requirements it
breaks there make certify exit 1 by the rule the self-test holds every broken
server to (selftest/expectations.py), so the self-test's run of that fault is
the proof. The other way, for faults: every fault certify is expected to fail
(exit 1) in a profile it is judged in is named by some promise, or is one of
`unpromised_faults`, which says why no promise of the pages is its to break.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from selftest.expectations import expected_exit, expected_failures

from conformance.catalogue import promises
from conformance.catalogue.requirements import CATALOGUE
from conformance.cli import main
from conformance.reference.faults import FAULTS

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = promises.load()


def test_every_requirement_an_entry_names_exists():
    unknown = {}
    for p in INVENTORY.promises:
        try:
            p.requirement_ids  # noqa: B018 - expanding is the check
        except KeyError as exc:
            unknown[p.id] = str(exc)
    assert unknown == {}


def test_every_requirement_citing_a_seed_page_has_an_entry_there():
    named = {(c.page, rid) for p in INVENTORY.promises for c in p.citations for rid in p.requirement_ids}
    orphans = [f"{r.id} cites {r.source.seed}" for r in CATALOGUE if r.source.seed and (r.source.seed, r.id) not in named]
    assert orphans == []


def test_every_seed_page_has_promises_and_every_cited_page_is_a_seed_page():
    cited = {c.page for p in INVENTORY.promises for c in p.citations}
    assert cited == set(INVENTORY.pages)
    assert {r.source.seed for r in CATALOGUE if r.source.seed} <= set(INVENTORY.pages)


def test_a_malformed_entry_is_refused_with_its_reason(tmp_path):
    bad = tmp_path / "promises.yaml"
    bad.write_text("pages: {a.txt: A}\npromises:\n  - {id: x, page: a.txt, quote: q, promise: p, status: checked}\n")
    with pytest.raises(promises.InventoryError, match="x: checked, but no requirement checks it"):
        promises.load(bad)
    bad.write_text("pages: {a.txt: A}\npromises:\n"
                   "  - {id: x, page: a.txt, quote: q, promise: p, status: checked, requirements: [CHAT-001]}\n")
    with pytest.raises(promises.InventoryError, match="x: checked, but no fault of the reference server breaks it"):
        promises.load(bad)


# broken_by: "checked" means caught -------------------------------------------------------------------------------

LINKED = [(p, name) for p in INVENTORY.promises for name in p.broken_by]


def _breaking(name: str, profile: str) -> frozenset[str]:
    return expected_failures(FAULTS[name], profile)


@pytest.mark.parametrize("promise,name", LINKED, ids=[f"{p.id}-{name}" for p, name in LINKED])
def test_each_fault_a_promise_names_breaks_it_in_the_self_test(promise, name):
    assert name in FAULTS, f"{promise.id}: no fault {name!r} in conformance/reference/faults.py"
    fault = FAULTS[name]
    assert "certify" in fault.judged_by and promise.profile in fault.profiles, (
        f"{name} is not certified in the {promise.profile} profile by the self-test (judged_by {fault.judged_by}, "
        f"profiles {fault.profiles}): nothing would prove that it breaks {promise.id}")
    broken = _breaking(name, promise.profile) & promise.requirement_ids
    assert broken, f"{name} breaks none of {promise.id}'s requirements ({', '.join(promise.requirements)})"
    if promise.status == "checked":
        assert expected_exit(broken, promise.profile) == 1, (
            f"{name} fails only {sorted(broken)} of {promise.id}, no MUST of the {promise.profile} profile: certify "
            "still certifies; name a fault that fails a MUST, or mark the promise partly and say why in its gap")


def _failing_certification() -> dict[str, list[str]]:
    """Every fault the self-test certifies, with the profiles where certify must exit 1 against it."""
    failing = {}
    for name, fault in FAULTS.items():
        profiles = [p for p in fault.profiles if "certify" in fault.judged_by and
                    expected_exit(_breaking(name, p), p) == 1]
        if profiles:
            failing[name] = profiles
    return failing


def test_every_fault_that_fails_certification_is_named_by_a_promise_or_says_why():
    named = {name for _, name in LINKED}
    orphans = sorted(set(_failing_certification()) - named - set(INVENTORY.unpromised_faults))
    assert orphans == [], ("faults that make certify exit 1 but no promise names (add them to the broken_by of the "
                           "promise they break, or to unpromised_faults with why none is theirs): " + ", ".join(orphans))


def test_every_unpromised_fault_exists_fails_certification_and_is_named_by_no_promise():
    named = {name for _, name in LINKED}
    failing = _failing_certification()
    stale = {name: why for name, why in INVENTORY.unpromised_faults.items() if name not in failing or name in named}
    assert stale == {}, "unpromised_faults must list only faults certify fails that no promise names"


def test_coverage_adds_up_and_the_readme_states_it():
    c = INVENTORY.coverage()
    assert c["found"] == c["checked"] + c["partly"] + c[promises.NOT_TESTABLE] + c["not yet"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = (f"{c['found']} promises: {c['checked']} checked, {c['partly']} partly, "
              f"{c[promises.NOT_TESTABLE]} not testable, {c['not yet']} not yet")
    assert stated in readme, f"README should state: {stated}"


def test_list_promises_prints_the_inventory_and_its_coverage(capsys):
    assert main(["list", "--promises"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(INVENTORY.summary())
    assert all(p.id in out for p in INVENTORY.promises)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _quoted_in(quote: str, page: str) -> bool:
    """Verbatim up to whitespace (the seed text lost spaces around inline code); ` … ` marks text left out."""
    at = 0
    for fragment in map(_squash, quote.split("…")):
        at = page.find(fragment, at)
        if at < 0:
            return False
        at += len(fragment)
    return True


ROOT = Path(__file__).resolve().parent.parent


def seeds_dir() -> Path | None:
    """Where the seed pages are: CRUN_SEEDS_DIR when set (a wrong one fails the test), else where they usually sit."""
    if os.environ.get("CRUN_SEEDS_DIR"):
        return Path(os.environ["CRUN_SEEDS_DIR"])
    found = [d for d in (ROOT / "seeds", ROOT.parent / "shared" / "seeds") if (d / next(iter(INVENTORY.pages))).is_file()]
    return found[0] if found else None


@pytest.mark.skipif(seeds_dir() is None, reason="no seed pages: set CRUN_SEEDS_DIR, or put them in seeds/ or ../shared/seeds")
def test_every_quote_is_the_page_s_own_words():
    seeds = seeds_dir()
    assert seeds is not None
    pages = {name: _squash((seeds / name).read_text(encoding="utf-8")) for name in INVENTORY.pages}
    wrong = [f"{p.id} on {c.page}: {c.quote}" for p in INVENTORY.promises for c in p.citations
             if not _quoted_in(c.quote, pages[c.page])]
    wrong += [f"{r.id} on {r.source.seed}: {r.quote}" for r in CATALOGUE
              if r.source.seed and not _quoted_in(r.quote, pages[r.source.seed])]
    assert wrong == []

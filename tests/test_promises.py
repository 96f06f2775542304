"""The promise inventory and the catalogue agree both ways, and every quote is the page's own words.

An inventory entry that names a requirement the catalogue does not hold is a
promise checked by nothing; a requirement that cites a seed page with no
inventory entry tying it to that page holds servers to something the page may
not promise. The quotes are compared with the seed pages when they are at hand:
in the directory CRUN_SEEDS_DIR names, else in `seeds/` of the clone or in
`../shared/seeds` beside it (where CI puts them).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conformance.catalogue import promises
from conformance.catalogue.requirements import CATALOGUE
from conformance.cli import main

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

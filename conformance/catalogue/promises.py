"""The promise inventory: every promise the seed pages make, the requirements that check it, and the faults that
break it (promises.yaml).

The catalogue says what the suite holds a server to; the inventory says what
the pages promise, so the two can be compared both ways: a promise no
requirement checks is a gap (stated with its reason), a requirement citing a
page the inventory does not tie to it is a check the page may not ask for
(tests/test_promises.py). `crun-conformance list --promises` prints it.

"Checked" is a claim the self-test proves: each checked or partly promise
names, in `broken_by`, the reference server's faults that break it the natural
way. Each of them breaks one of its requirements; for a checked promise, a MUST
of the promise's profile (crun unless stated), so certify exits 1 against it,
which tests/selftest asserts of every fault. And the other way: every fault
that makes certify exit 1 is named by a promise, or `unpromised_faults` says
why no promise of the pages is its to break. This package names faults only
as strings: tests/test_promises.py holds them against
conformance/reference/faults.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .requirements import DEFAULT_PROFILE, PROFILES, expand_ids

INVENTORY = Path(__file__).resolve().parent / "promises.yaml"
STATUSES = ("checked", "partly", "not yet")
NOT_TESTABLE = "not testable"


@dataclass(frozen=True)
class Citation:
    page: str
    quote: str


@dataclass(frozen=True)
class Promise:
    id: str
    page: str
    quote: str
    promise: str
    also: tuple[Citation, ...] = ()
    requirements: tuple[str, ...] = ()  # as written: ids, or ranges like `SDK-001..006`
    status: str = NOT_TESTABLE  # checked / partly / not yet, or "not testable"
    gap: str = ""  # why a promise is only partly checked, or not yet
    not_testable: str = ""  # why no client can observe it
    broken_by: tuple[str, ...] = ()  # names of the reference server's faults that break it the natural way
    profile: str = DEFAULT_PROFILE  # the profile whose certification it belongs to

    @property
    def citations(self) -> tuple[Citation, ...]:
        return (Citation(self.page, self.quote), *self.also)

    @property
    def requirement_ids(self) -> frozenset[str]:
        """The requirement ids, ranges expanded; an id the catalogue does not hold raises KeyError."""
        return expand_ids(self.requirements)


@dataclass(frozen=True)
class Inventory:
    pages: dict[str, str]  # seed file -> short title
    promises: tuple[Promise, ...]
    unpromised_faults: dict[str, str] = field(default_factory=dict)  # fault name -> why no promise is its to break

    def coverage(self) -> dict[str, int]:
        counts = {"found": len(self.promises), **{s: 0 for s in (*STATUSES, NOT_TESTABLE)}}
        for p in self.promises:
            counts[p.status] += 1
        return counts

    def summary(self) -> str:
        c = self.coverage()
        return (f"{c['found']} promises found: {c['checked']} checked, {c['partly']} partly, {c[NOT_TESTABLE]} not "
                f"testable, {c['not yet']} not yet checked")


class InventoryError(ValueError):
    """promises.yaml does not say what each promise needs: a page, a quote, and either requirements or a reason."""


def _promise(raw: Any, pages: dict[str, str]) -> Promise:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise InventoryError(f"a promise without an id: {raw!r}")
    pid = raw["id"]
    for key in ("page", "quote", "promise"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise InventoryError(f"{pid}: no {key}")
    also = tuple(Citation(c["page"], c["quote"]) for c in raw.get("also") or ())
    for citation in (Citation(raw["page"], raw["quote"]), *also):
        if citation.page not in pages:
            raise InventoryError(f"{pid}: page {citation.page!r} is not one of the seed pages")
    if raw.get("not_testable"):
        if raw.get("status") or raw.get("requirements") or raw.get("broken_by"):
            raise InventoryError(f"{pid}: not testable, yet given a status, requirements or faults that break it")
        return Promise(pid, raw["page"], raw["quote"], raw["promise"], also, not_testable=raw["not_testable"])
    status = raw.get("status")
    if status not in STATUSES:
        raise InventoryError(f"{pid}: status {status!r}; choose {', '.join(STATUSES)}, or give not_testable")
    requirements = tuple(raw.get("requirements") or ())
    if status != "not yet" and not requirements:
        raise InventoryError(f"{pid}: {status}, but no requirement checks it")
    if status != "checked" and not raw.get("gap"):
        raise InventoryError(f"{pid}: {status}; say what is left in `gap`, and why")
    broken_by = tuple(raw.get("broken_by") or ())
    if status == "not yet" and broken_by:
        raise InventoryError(f"{pid}: not yet checked, yet broken by {', '.join(broken_by)}")
    if status != "not yet" and not broken_by:
        raise InventoryError(f"{pid}: {status}, but no fault of the reference server breaks it (`broken_by`)")
    profile = raw.get("profile", DEFAULT_PROFILE)
    if profile not in PROFILES:
        raise InventoryError(f"{pid}: profile {profile!r}; choose {', '.join(PROFILES)}")
    return Promise(pid, raw["page"], raw["quote"], raw["promise"], also, requirements, status, raw.get("gap", ""),
                   broken_by=broken_by, profile=profile)


def load(path: Path = INVENTORY) -> Inventory:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pages = dict(data["pages"])
    promises = tuple(_promise(raw, pages) for raw in data["promises"])
    ids = [p.id for p in promises]
    if len(ids) != len(set(ids)):
        raise InventoryError(f"duplicate promise ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    unpromised = dict(data.get("unpromised_faults") or {})
    if not all(isinstance(why, str) and why for why in unpromised.values()):
        raise InventoryError("every fault in unpromised_faults says why no promise is its to break")
    return Inventory(pages, promises, unpromised)


def render(inventory: Inventory) -> str:
    """The inventory as `list --promises` prints it: per page, each promise, its quote and what checks it."""
    lines = [inventory.summary(), ""]
    for page, title in inventory.pages.items():
        lines.append(f"{page}  {title}")
        elsewhere = [p.id for p in inventory.promises if p.page != page and any(c.page == page for c in p.also)]
        if elsewhere:
            lines.append(f"  also promised here (listed under their first page): {', '.join(elsewhere)}")
        for p in (p for p in inventory.promises if p.page == page):
            checked_by = ", ".join(p.requirements) or "-"
            lines.append(f"  {p.id:<32} {p.status:<12} {checked_by}")
            lines.append(f"  {'':<32} {p.promise}")
            if p.broken_by:
                profile = "" if p.profile == DEFAULT_PROFILE else f" (profile {p.profile})"
                lines.append(f"  {'':<32} broken by{profile}: {', '.join(p.broken_by)}")
            lines.append(f'  {"":<32} "{p.quote}"' + (f" (also on {', '.join(c.page[:3] for c in p.also)})"
                                                        if p.also else ""))
            if p.gap or p.not_testable:
                lines.append(f"  {'':<32} why: {p.gap or p.not_testable}")
        lines.append("")
    if inventory.unpromised_faults:
        lines.append("faults that break no promise of the pages")
        lines.extend(f"  {name:<32} {why}" for name, why in inventory.unpromised_faults.items())
    return "\n".join(lines).rstrip()

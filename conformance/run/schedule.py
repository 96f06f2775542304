"""Which unit of a plan starts next: longest first, at most N at a time per upstream, at most a few N in all.

A gateway routes each model to its own upstream (OpenAI, Anthropic, Google, …),
and each upstream has its own capacity and rate limits, so a run's concurrency
is counted per model: at most `per_upstream` units of one model run at once,
and the units that reach no model (`/models`, refused keys, unknown models)
form an upstream of their own. `in_all` (three models' worth) bounds the whole
run, so a catalogue of fifty models does not open four hundred connections.
`per_upstream=1` means one at a time in all: a `--concurrency 1` run.

Among the upstreams with room, the unit with the largest weight starts first
(longest processing time first), so no long stream is left to end the run
alone. Held units (the SDK cases, whose SDKs are still importing) wait without
taking a place until they are released. Pure bookkeeping: no threads, no I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Hashable, Sequence

IN_ALL_PER_UPSTREAM = 3  # the run's bound in all, in multiples of the per-upstream bound: three models' worth


@dataclass(frozen=True)
class Job:
    upstream: Hashable
    weight: int
    held: bool = False


class Schedule:
    def __init__(self, jobs: Sequence[Job], per_upstream: int) -> None:
        self.jobs = list(jobs)
        self.per_upstream = max(1, per_upstream)
        self.in_all = 1 if self.per_upstream == 1 else IN_ALL_PER_UPSTREAM * self.per_upstream
        # Stable sort: equal weights keep suite order (held units join whenever their release comes).
        self.waiting = sorted(range(len(self.jobs)), key=lambda i: -self.jobs[i].weight)
        self.running: Counter[Hashable] = Counter()
        self.released = not any(job.held for job in self.jobs)

    def release(self) -> None:
        """The held units may start from now on."""
        self.released = True

    def next(self) -> int | None:
        """The index of the unit to start now, or None when every place it could take is full (or nothing waits)."""
        if sum(self.running.values()) >= self.in_all:
            return None
        for position, index in enumerate(self.waiting):
            job = self.jobs[index]
            if (job.held and not self.released) or self.running[job.upstream] >= self.per_upstream:
                continue
            del self.waiting[position]
            self.running[job.upstream] += 1
            return index
        return None

    def finished(self, index: int) -> None:
        self.running[self.jobs[index].upstream] -= 1

    def __bool__(self) -> bool:
        return bool(self.waiting)

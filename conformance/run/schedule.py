"""Which unit of a plan starts next: longest first, within each upstream's limit and the run's limit.

A gateway routes each model to its own upstream (OpenAI, Anthropic, Google, …),
and each upstream has its own capacity and rate limits, so a run's concurrency
is counted per model: at most `per_upstream` units of one model run at once,
and the units that reach no model (`/models`, refused keys, unknown models)
form an upstream of their own. `in_all` bounds the whole run, so a catalogue of
fifty models does not open eight hundred connections. `per_upstream=1` means
one at a time in all: a `--concurrency 1` run.

Those are caps. The limits in force are found during the run (AIMD, see
`wire.target.Limiter`): `limits` tells the schedule the current limit of an
upstream and of the whole run, and no more units start than they allow, so a
gateway that answers 429 gets fewer units at once, not more threads waiting.

Among the upstreams with room, the unit with the largest weight starts first
(longest processing time first), so no long stream is left to end the run
alone. Held units (the SDK cases, whose SDKs are still importing) wait without
taking a place until they are released; then one unit of each `group` (an SDK
case) goes first, and the others of its group follow once it has finished: an
SDK builds what it parses into on its first call, and a hundred models' calls
at once would each build it again. Pure bookkeeping: no threads, no I/O.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Hashable, Protocol, Sequence


@dataclass(frozen=True)
class Job:
    upstream: Hashable
    weight: int
    held: bool = False
    group: Hashable = None  # held units of one group: the first goes alone, the others after it


class Limits(Protocol):
    """The limits in force: how many units of an upstream, and of the whole run, may run now."""

    def of(self, upstream: Hashable) -> int: ...

    def in_all(self) -> int: ...


class Schedule:
    def __init__(self, jobs: Sequence[Job], per_upstream: int, in_all: int | None = None,
                 limits: Limits | None = None) -> None:
        self.jobs = list(jobs)
        self.per_upstream = max(1, per_upstream)
        self.in_all = 1 if self.per_upstream == 1 else max(1, in_all or len(self.jobs))  # None: no bound but per upstream
        self.limits = limits
        # Each upstream's units, heaviest first, equal weights in suite order; held units apart until released.
        self.queues: dict[Hashable, deque[int]] = {}
        self.held: dict[Hashable, list[int]] = {}
        for index in sorted(range(len(self.jobs)), key=self._rank):
            job = self.jobs[index]
            (self.held.setdefault(job.upstream, []) if job.held else self.queues.setdefault(job.upstream, deque())
             ).append(index)
        self.running: Counter[Hashable] = Counter()
        self.in_flight = 0
        self.released = not self.held
        self.following: dict[int, list[int]] = {}  # a group's first unit, and the units waiting for it to finish

    def _rank(self, index: int) -> tuple[int, int]:
        return -self.jobs[index].weight, index

    @property
    def waiting(self) -> list[int]:
        return [i for queue in (*self.queues.values(), *self.held.values(), *self.following.values()) for i in queue]

    def release(self) -> None:
        """The held units may start from now on: the first of each group, and the rest once it has finished."""
        self.released = True
        firsts: dict[Hashable, int] = {}
        ready = []
        for index in sorted((i for held in self.held.values() for i in held), key=self._rank):
            group = self.jobs[index].group
            if group is None:
                ready.append(index)
            elif group not in firsts:
                firsts[group] = index
                self.following[index] = []
                ready.append(index)
            else:
                self.following[firsts[group]].append(index)
        self.held = {}
        self._enqueue(ready)

    def _enqueue(self, indices: list[int]) -> None:
        by_upstream: dict[Hashable, list[int]] = {}
        for index in indices:
            by_upstream.setdefault(self.jobs[index].upstream, []).append(index)
        for upstream, more in by_upstream.items():
            self.queues[upstream] = deque(sorted([*self.queues.get(upstream, ()), *more], key=self._rank))

    def next(self) -> int | None:
        """The index of the unit to start now, or None when every place it could take is full (or nothing waits)."""
        found_in_all = self.limits.in_all() if self.limits is not None else self.in_all
        if self.in_flight >= min(self.in_all, found_in_all):
            return None
        best: Hashable = None
        best_rank: tuple[int, int] | None = None  # (None is an upstream too: the units that reach no model)
        for upstream, queue in self.queues.items():
            if not queue:
                continue
            room = self.limits.of(upstream) if self.limits is not None else self.per_upstream
            if self.running[upstream] >= min(self.per_upstream, room):
                continue
            rank = self._rank(queue[0])
            if best_rank is None or rank < best_rank:
                best, best_rank = upstream, rank
        if best_rank is None:
            return None
        index = self.queues[best].popleft()
        self.running[best] += 1
        self.in_flight += 1
        return index

    def finished(self, index: int) -> None:
        self.running[self.jobs[index].upstream] -= 1
        self.in_flight -= 1
        if index in self.following:
            self._enqueue(self.following.pop(index))

    def __bool__(self) -> bool:
        return any(self.queues.values()) or any(self.held.values()) or any(self.following.values())

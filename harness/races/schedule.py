"""Schedules: which worker takes its next step, in order; and all of them, enumerated.

A worker's *steps* are the stretches of its code between crash points: from
its start to its first point, from each point to the next, from its last point
to its end. A schedule ``a,b,a,b`` runs a's first step, then b's first, and so
on. It serializes to that short string, so a report can print it and a replay
can parse it back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from harness.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def check_worker_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"worker name {name!r} must be letters, digits or _ (it is written in schedules)"
        )
    return name


@dataclass(frozen=True)
class Schedule:
    steps: tuple[str, ...]

    def __init__(self, steps: Iterable[str]) -> None:
        object.__setattr__(self, "steps", tuple(check_worker_name(s) for s in steps))

    def __str__(self) -> str:
        return ",".join(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """``"a,b,a"`` (spaces allowed) back to a Schedule."""
        if not isinstance(text, str):
            raise ConfigError(f"a schedule is written like 'a,b,a', got {text!r}")
        parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
        return cls(parts)

    def preemptions(self, steps: Mapping[str, int]) -> int:
        """Switches away from a worker that still had steps left (CHESS's context bound)."""
        left = dict(steps)
        count = 0
        for prev, cur in zip(self.steps, self.steps[1:], strict=False):
            left[prev] = left.get(prev, 0) - 1
            if cur != prev and left[prev] > 0:
                count += 1
        return count


def _check_steps(steps: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(steps, Mapping) or not steps:
        raise ConfigError("steps must map each worker name to its number of steps, e.g. {'a': 2}")
    out = {}
    for name, n in steps.items():
        check_worker_name(name)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ConfigError(f"worker {name!r} must have at least 1 step, got {n!r}")
        out[name] = n
    return out


def count_interleavings(steps: Mapping[str, int]) -> int:
    counts = _check_steps(steps)
    total = math.factorial(sum(counts.values()))
    for n in counts.values():
        total //= math.factorial(n)
    return total


def enumerate_schedules(
    steps: Mapping[str, int],
    *,
    max_preemptions: int | None = None,
    limit: int | None = None,
) -> Iterator[Schedule]:
    """Every interleaving of the workers' steps, in a fixed order (workers in ``steps``
    order first), optionally only those with at most ``max_preemptions`` preemptions,
    and at most ``limit`` of them."""
    counts = _check_steps(steps)
    if max_preemptions is not None and (
        not isinstance(max_preemptions, int) or max_preemptions < 0
    ):
        raise ConfigError(f"max_preemptions must be an integer >= 0, got {max_preemptions!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"limit must be an integer >= 1, got {limit!r}")
    names = list(counts)
    prefix: list[str] = []

    def walk(preempted: int) -> Iterator[Schedule]:
        if not any(counts.values()):
            yield Schedule(prefix)
            return
        last = prefix[-1] if prefix else None
        for name in names:
            if counts[name] == 0:
                continue
            cost = 1 if last is not None and name != last and counts[last] > 0 else 0
            if max_preemptions is not None and preempted + cost > max_preemptions:
                continue
            counts[name] -= 1
            prefix.append(name)
            yield from walk(preempted + cost)
            prefix.pop()
            counts[name] += 1

    for produced, schedule in enumerate(walk(0), start=1):
        yield schedule
        if limit is not None and produced >= limit:
            return

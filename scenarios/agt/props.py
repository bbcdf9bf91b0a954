"""Hypothesis searches that return a verdict instead of raising.

``counterexample`` asks Hypothesis for an input that breaks a property (and
shrinks it); its random source is seeded from the scenario, so a run replays.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from harness.verdict import Verdict

SETTINGS = settings(
    max_examples=400, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


def counterexample(
    strategy: st.SearchStrategy[Any], broken: Callable[[Any], str | None], seed: int
) -> tuple[Any, str] | None:
    """The smallest input for which ``broken`` names a violation, or None."""
    reasons: dict[str, str] = {}

    def fails(example: Any) -> bool:
        reason = broken(example)
        if reason is not None:
            reasons[repr(example)] = reason
        return reason is not None

    try:
        found = find(strategy, fails, settings=SETTINGS, random=random.Random(seed))
    except NoSuchExample:
        return None
    return found, reasons.get(repr(found)) or str(broken(found))


def verdict(
    name: str,
    holds: str,
    strategy: st.SearchStrategy[Any],
    broken: Callable[[Any], str | None],
    seed: int,
) -> Verdict:
    hit = counterexample(strategy, broken, seed)
    if hit is None:
        return Verdict.ok(name, f"{holds}: no counterexample in {SETTINGS.max_examples} examples")
    example, reason = hit
    return Verdict.violated(name, f"{holds} is violated: {reason}", counterexample=repr(example))

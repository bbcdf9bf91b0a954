"""Hypothesis searches that return a verdict instead of raising.

``counterexample`` asks Hypothesis for an input that breaks a property (and
shrinks it). Two depths:

- the gate (default): ``GATE_EXAMPLES`` examples, derandomized: Hypothesis's
  own fixed seed, not the harness seed, so every run tries the same inputs and
  each pre-fix variant is caught the same way whatever ``--harness-seed`` says
  (measured: within its first 4 examples; 400 examples, the old gate, made the
  fixed variants' runs 4x longer and proved nothing more to the gate);
- ``HARNESS_AGT_EXAMPLES=N`` (e.g. 400, an audit run): N examples drawn from
  the scenario's seed, so a run replays and different seeds search differently.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

GATE_EXAMPLES = 100
_EXAMPLES = os.environ.get("HARNESS_AGT_EXAMPLES")
#: Seeded from the scenario (an audit run) or derandomized (the gate); see the module doc.
SEEDED = _EXAMPLES is not None
SETTINGS = settings(
    max_examples=int(_EXAMPLES) if _EXAMPLES else GATE_EXAMPLES,
    derandomize=not SEEDED,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
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
        found = find(
            strategy, fails, settings=SETTINGS, random=random.Random(seed) if SEEDED else None
        )
    except NoSuchExample:
        return None
    return found, reasons.get(repr(found)) or str(broken(found))


def search(
    strategy: st.SearchStrategy[Any], broken: Callable[[Any], str | None], seed: int
) -> dict[str, str] | None:
    """A recordable search: None, or the smallest counterexample and why it breaks the
    property (checked by the ``property_holds`` checker)."""
    hit = counterexample(strategy, broken, seed)
    if hit is None:
        return None
    example, reason = hit
    return {"example": repr(example), "reason": reason}


def property_case(
    strategy: st.SearchStrategy[Any], broken: Callable[[Any], str | None], seed: int, f: str
) -> Callable[[Any], None]:
    """An ``explore_named`` case: the search, recorded as op ``f``."""

    def run(steps: Any) -> None:
        steps.run("hypothesis", lambda: search(strategy, broken, seed), f=f)

    return run

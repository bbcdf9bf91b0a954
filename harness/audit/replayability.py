"""Which cases replay exactly, and which can only be run again.

A crash point, a cut placed at a point, a schedule: the harness chose every step, so the
same seed gives the same case and ``harness repro`` replays it exactly. A *hammer* case
is real concurrency (seeded work, but the interleaving is the operating system's), so
its verdict may or may not recur: it is **re-runnable, not exactly replayable**, and
``harness repro`` runs it several times and says how often the verdict recurred.

A case is a hammer case when its history was made by ``harness.races.hammer`` (its meta
holds ``hammer``) or its id says so (``hammer``, ``hammer:8x3#0``).
"""

from __future__ import annotations

from typing import Any

from harness.scenario import Case, ScenarioResult

EXACT = "exact"
RERUN = "rerun"
HAMMER_NOTE = (
    "hammer case (real concurrency): re-runnable, not exactly replayable; "
    "harness repro runs it several times and reports how often the verdict recurred"
)


def case_kind(case: Case) -> str:
    if case.history is not None and "hammer" in case.history.meta:
        return RERUN
    return RERUN if case.case_id.split(":", 1)[0].startswith("hammer") else EXACT


def result_kind(result: ScenarioResult, case_id: str | None = None) -> str:
    """A whole scenario replays exactly only if every one of its cases does."""
    cases = [c for c in result.cases if case_id is None or c.case_id == case_id]
    return RERUN if any(case_kind(c) == RERUN for c in cases) else EXACT


def note(case: Case) -> str:
    """The label a report puts beside a case's replay command ('' for an exact one)."""
    return HAMMER_NOTE if case_kind(case) == RERUN else ""


def annotate(result: ScenarioResult) -> dict[str, Any]:
    """``result.to_json()`` with each case's ``replay_kind`` (results.json)."""
    data = result.to_json()
    for case, row in zip(result.cases, data["cases"], strict=True):
        row["replay_kind"] = case_kind(case)
    data["replay_kind"] = result_kind(result)
    return data

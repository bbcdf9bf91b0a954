"""A claim's verdict from one run: CONFIRMED, REFUTED (with evidence) or UNTESTED (with reason).

A scenario that ran but could not decide (UNKNOWN: the harness broke) neither
confirms nor refutes: the claim stays UNTESTED and says why. A measured figure
(``measured_by``: a committed benchmark file) decides like a scenario: within
the stated bound it agrees, outside it refutes ("below the seed's figure on
this machine"), and a missing, stale or incomplete file leaves the claim
UNTESTED with the file's problem as the reason.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.ledger.claims import Claim, MeasuredBy
from harness.scenario import ScenarioResult

MAX_CASES_SHOWN = 5


class ClaimStatus(enum.Enum):
    CONFIRMED = "CONFIRMED"
    REFUTED = "REFUTED"
    UNTESTED = "UNTESTED"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ClaimVerdict:
    claim: Claim
    status: ClaimStatus
    reason: str
    evidence: list[dict[str, Any]] = field(default_factory=list)  # scenario outcomes
    measured: list[dict[str, Any]] = field(default_factory=list)  # benchmark figures

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.claim.id,
            "status": self.status.value,
            "reason": self.reason,
            "evidence": self.evidence,
            "measured": self.measured,
        }


def _evidence(result: ScenarioResult, holds_if: str) -> dict[str, Any]:
    failing = result.failing_cases()
    return {
        "scenario": result.ref,
        "holds_if": holds_if,
        "outcome": result.outcome,
        "cases": len(result.cases),
        "failing_cases": [
            {
                "case_id": c.case_id,
                "summary": c.verdict.summary,
                "replay": result.replay(c.case_id),
            }
            for c in failing[:MAX_CASES_SHOWN]
        ],
        "failing_total": len(failing),
        "replay": result.replay(),
    }


def _figure(value: float, unit: str) -> str:
    return f"{value:,.0f}{unit}" if abs(value) >= 100 else f"{value:g}{unit}"


def _measured(m: MeasuredBy) -> dict[str, Any]:
    """The evidence of one figure; ``holds`` None when the file cannot decide."""
    got = m.measurement
    value = got.value
    holds = None if got.problem or value is None else m.holds(value)
    if holds is None:
        text = got.problem
    else:
        assert value is not None
        side = "within" if holds else ("below" if m.at_least is not None else "above")
        text = (
            f"{m.figure} measured {_figure(value, got.unit)}, {side} the stated {m.stated}"
            f" on this machine ({m.figures}, {got.date})"
        )
    return {
        **got.to_json(),
        "stated": m.stated,
        "holds": holds,
        "text": text,
    }


def judge(claim: Claim, results: Mapping[str, ScenarioResult]) -> ClaimVerdict:
    """``results`` maps FIX/SCENARIO/VARIANT to that scenario variant's result in this run."""
    measured = [_measured(m) for m in claim.measured_by]
    if not claim.tested_by and not measured:
        return ClaimVerdict(claim, ClaimStatus.UNTESTED, claim.untested_reason)
    figures_differ = [m["text"] for m in measured if m["holds"] is False]
    figures_agree = [m["text"] for m in measured if m["holds"] is True]
    figures_undecided = [m["text"] for m in measured if m["holds"] is None]
    agree: list[dict[str, Any]] = []
    differ: list[dict[str, Any]] = []
    undecided: list[str] = []
    missing: list[str] = []
    for test in claim.tested_by:
        result = results.get(test.scenario)
        if result is None:
            missing.append(test.scenario)
        elif result.outcome not in ("PASS", "FAIL"):
            undecided.append(test.scenario)
        elif result.outcome == test.holds_if:
            agree.append(_evidence(result, test.holds_if))
        else:
            differ.append(_evidence(result, test.holds_if))
    if differ or figures_differ:
        # What refutes first; figures that agree follow, so every measured figure is shown.
        refs = [f"{e['scenario']} gave {e['outcome']}" for e in differ] + figures_differ
        refs += figures_agree
        return ClaimVerdict(claim, ClaimStatus.REFUTED, "; ".join(refs), differ + agree, measured)
    if not missing and not undecided and not figures_undecided:
        refs = [", ".join(f"{e['scenario']} {e['outcome']}" for e in agree)] if agree else []
        return ClaimVerdict(
            claim, ClaimStatus.CONFIRMED, "; ".join(refs + figures_agree), agree, measured
        )
    parts = []
    if claim.untested_reason and not agree and not figures_agree:
        parts.append(claim.untested_reason)
    if missing:
        parts.append("did not run: " + ", ".join(missing))
    if undecided:
        parts.append("could not decide (harness error): " + ", ".join(undecided))
    parts.extend(figures_undecided)
    if agree:
        parts.append(f"{len(agree)} of {len(claim.tested_by)} scenarios agree")
    if figures_agree:
        parts.append(f"{len(figures_agree)} of {len(measured)} measured figures agree")
    return ClaimVerdict(claim, ClaimStatus.UNTESTED, "; ".join(parts), agree, measured)


def judge_all(claims: Iterable[Claim], results: Iterable[ScenarioResult]) -> list[ClaimVerdict]:
    by_ref = {r.ref: r for r in results}
    return [judge(c, by_ref) for c in claims]

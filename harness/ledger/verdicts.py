"""A claim's verdict from one run: CONFIRMED, REFUTED (with evidence) or UNTESTED (with reason).

A scenario that ran but could not decide (UNKNOWN: the harness broke) neither
confirms nor refutes: the claim stays UNTESTED and says why.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.ledger.claims import Claim
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
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.claim.id,
            "status": self.status.value,
            "reason": self.reason,
            "evidence": self.evidence,
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


def judge(claim: Claim, results: Mapping[str, ScenarioResult]) -> ClaimVerdict:
    """``results`` maps FIX/SCENARIO/VARIANT to that scenario variant's result in this run."""
    if not claim.tested_by:
        return ClaimVerdict(claim, ClaimStatus.UNTESTED, claim.untested_reason)
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
    if differ:
        refs = ", ".join(f"{e['scenario']} gave {e['outcome']}" for e in differ)
        return ClaimVerdict(claim, ClaimStatus.REFUTED, f"{refs}", differ + agree)
    if not missing and not undecided:
        refs = ", ".join(f"{e['scenario']} {e['outcome']}" for e in agree)
        return ClaimVerdict(claim, ClaimStatus.CONFIRMED, refs, agree)
    parts = []
    if claim.untested_reason and not agree:
        parts.append(claim.untested_reason)
    if missing:
        parts.append("did not run: " + ", ".join(missing))
    if undecided:
        parts.append("could not decide (harness error): " + ", ".join(undecided))
    if agree:
        parts.append(f"{len(agree)} of {len(claim.tested_by)} scenarios agree")
    return ClaimVerdict(claim, ClaimStatus.UNTESTED, "; ".join(parts), agree)


def judge_all(claims: Iterable[Claim], results: Iterable[ScenarioResult]) -> list[ClaimVerdict]:
    by_ref = {r.ref: r for r in results}
    return [judge(c, by_ref) for c in claims]

"""What a run means: the state-change table, claim verdicts, findings and the final status.

Pure functions of a ``Run``: every report format renders this one analysis,
so the numbers in the Markdown, HTML, JUnit and JSON always agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.audit.findings import SEVERITIES, EdgeCase, Finding, edge_cases, findings
from harness.audit.table import (
    StateRow,
    fix_key,
    gate_problems,
    is_plain,
    measured_columns,
    state_rows,
    variant_order,
)
from harness.catalog import Fix
from harness.history import NEMESIS
from harness.ledger.verdicts import ClaimVerdict, judge_all
from harness.scenario import FIXED, ScenarioResult

if TYPE_CHECKING:
    from harness.audit.model import Run

__all__ = [
    "SEVERITIES",
    "Analysis",
    "EdgeCase",
    "Finding",
    "FixPart",
    "StateRow",
    "analyze",
    "gate_problems",
    "state_rows",
]


@dataclass
class FixPart:
    """What the report says about one fix."""

    fix: Fix
    results: list[ScenarioResult]
    claims: list[ClaimVerdict]
    tests: list[Any]  # TestOutcome of plain (non-scenario) tests of this fix

    @property
    def exercised(self) -> bool:
        return bool(self.results) or bool(self.tests)

    @property
    def status(self) -> str:
        if not self.exercised:
            return "NOT EXERCISED"
        decided = [r for r in self.results if r.outcome != "UNKNOWN"]
        if any(not r.meets_expectation for r in decided) or any(
            t.outcome in ("failed", "error") for t in self.tests
        ):
            return "FAIL"
        if len(decided) < len(self.results):
            return "UNDECIDED"
        return "PASS"


@dataclass
class Analysis:
    variants: list[str]  # the state-change table's columns, pre-fix first, fixed last
    measured_columns: set[str]
    rows: list[StateRow]
    claims: list[ClaimVerdict]
    parts: list[FixPart]
    findings: list[Finding]
    edge_cases: list[EdgeCase]
    counts: dict[str, Any]
    status: str
    status_detail: str
    regressions: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "status_detail": self.status_detail,
            "counts": self.counts,
            "state_changes": [r.to_json() for r in self.rows],
            "claim_verdicts": [c.to_json() for c in self.claims],
            "findings": [f.to_json() for f in self.findings],
            "regressions": self.regressions,
            "undecided": self.undecided,
        }


def _counts(run: Run) -> dict[str, Any]:
    tests = Counter(t.outcome for t in run.tests)
    outcomes = Counter(r.outcome for r in run.results)
    cases = sum(len(r.cases) for r in run.results)
    failing_cases = sum(len(r.failing_cases()) for r in run.results)
    faults = sum(
        1
        for r in run.results
        for c in r.cases
        if c.history is not None
        for op in c.history.ops
        if op.process == NEMESIS
    )
    return {
        "tests_total": len(run.tests),
        "tests_passed": tests.get("passed", 0),
        "tests_failed": tests.get("failed", 0),
        "tests_skipped": tests.get("skipped", 0),
        "tests_error": tests.get("error", 0),
        "scenario_runs": len(run.results),
        "scenarios": len({(r.fix_id, r.scenario) for r in run.results}),
        "fixes_exercised": len(
            {r.fix_id for r in run.results} | {t.fix_id for t in run.tests if t.fix_id}
        ),
        "fixes_in_catalog": len(run.catalog.fixes),
        "outcome_pass": outcomes.get("PASS", 0),
        "outcome_fail": outcomes.get("FAIL", 0),
        "outcome_unknown": outcomes.get("UNKNOWN", 0),
        "met_expectation": sum(1 for r in run.results if r.meets_expectation),
        "cases": cases,
        "failing_cases": failing_cases,
        "faults_injected": faults,
    }


def analyze(run: Run) -> Analysis:
    results = run.results
    rows = state_rows(results)
    claims = judge_all(run.claims, results)
    by_fix: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in results:
        by_fix[r.fix_id].append(r)
    parts = []
    known = {f.id for f in run.catalog.fixes}
    fixes = list(run.catalog.fixes)
    # A scenario for a fix the catalog lacks still gets a part: nothing run is hidden.
    for fix_id in sorted(set(by_fix) - known, key=fix_key):
        fixes.append(Fix(fix_id, fix_id.split("-")[0], "(not in the fix catalog)", "", ""))
    for fix in sorted(fixes, key=lambda f: fix_key(f.id)):
        parts.append(
            FixPart(
                fix=fix,
                results=sorted(
                    by_fix.get(fix.id, []),
                    key=lambda r: (
                        r.scenario,
                        r.variant == FIXED,
                        r.expects_pass is None,
                        r.variant,
                    ),
                ),
                claims=[c for c in claims if fix.id in c.claim.fixes],
                tests=[t for t in run.tests if t.fix_id == fix.id and is_plain(t)],
            )
        )
    regressions, undecided = gate_problems(results, run.tests)
    counts = _counts(run)
    exercised = [p for p in parts if p.exercised]
    verified = [p for p in exercised if p.status == "PASS"]
    if regressions:
        status = "NOT VERIFIED"
    elif undecided or not results:
        status = "UNDECIDED"
    else:
        status = "VERIFIED"
    detail = (
        f"{len(verified)} of {len(exercised)} exercised fixes verified "
        f"({counts['scenarios']} scenarios, {counts['scenario_runs']} scenario runs, "
        f"{counts['cases']} cases); {len(parts) - len(exercised)} of {len(parts)} fixes in the "
        "catalog not exercised"
    )
    return Analysis(
        variants=variant_order(results),
        measured_columns=measured_columns(results),
        rows=rows,
        claims=claims,
        parts=parts,
        findings=findings(run, rows, claims, parts),
        edge_cases=edge_cases(results, claims),
        counts=counts,
        status=status,
        status_detail=detail,
        regressions=regressions,
        undecided=undecided,
    )

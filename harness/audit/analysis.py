"""What a run means: the state-change table, claim verdicts, findings and the final status.

Pure functions of a ``Run``: every report format renders this one analysis,
so the numbers in the Markdown, HTML, JUnit and JSON always agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.catalog import Fix
from harness.history import NEMESIS, OpType
from harness.ledger.verdicts import ClaimStatus, ClaimVerdict, judge_all
from harness.scenario import FIXED, ScenarioResult

if TYPE_CHECKING:
    from harness.audit.model import Run

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")


@dataclass(frozen=True)
class StateRow:
    """One line of the state-change table: a scenario's outcome on each variant."""

    fix_id: str
    scenario: str
    outcomes: dict[str, str]  # variant -> PASS / FAIL / UNKNOWN
    expected_fail: tuple[str, ...]  # the pre-fix variants (must be caught)
    measured: tuple[str, ...]  # reported as they come out (e.g. the seed's proposal)

    @property
    def flipped(self) -> bool | None:
        """FAIL on every pre-fix variant and PASS on fixed; None when one of them did not
        run or could not decide (UNKNOWN is neither caught nor passing)."""
        judged = [FIXED, *self.expected_fail]
        if FIXED not in self.outcomes or not self.expected_fail:
            return None
        if any(self.outcomes[v] == "UNKNOWN" for v in judged):
            return None
        return self.outcomes[FIXED] == "PASS" and all(
            self.outcomes[v] == "FAIL" for v in self.expected_fail
        )

    def cell(self, variant: str, measured_columns: set[str]) -> str:
        """The table cell: the outcome, marked when this scenario only measures the variant."""
        outcome = self.outcomes.get(variant)
        if outcome is None:
            return "—"
        if variant in self.measured and variant not in measured_columns:
            return f"{outcome} (measured)"
        return outcome

    @property
    def flip_text(self) -> str:
        if self.flipped is None:
            undecided = any(o == "UNKNOWN" for o in self.outcomes.values())
            return "undecided" if undecided else "n/a"
        return "yes" if self.flipped else "NO"

    def to_json(self) -> dict[str, Any]:
        return {
            "fix_id": self.fix_id,
            "scenario": self.scenario,
            "outcomes": self.outcomes,
            "flipped": self.flipped,
        }


@dataclass(frozen=True)
class Finding:
    severity: str
    finding: str
    action: str
    refs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "finding": self.finding,
            "action": self.action,
            "refs": list(self.refs),
        }


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


@dataclass(frozen=True)
class EdgeCase:
    ref: str
    note: str


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


def _variant_order(results: list[ScenarioResult]) -> list[str]:
    """Columns: variants some scenario must catch, then measured-only ones, then fixed."""
    pre = sorted({r.variant for r in results if r.expects_pass is False})
    measured = sorted({r.variant for r in results if r.expects_pass is None} - set(pre) - {FIXED})
    has_fixed = any(r.variant == FIXED for r in results)
    return [*pre, *measured, *([FIXED] if has_fixed else [])]


def _measured_columns(results: list[ScenarioResult]) -> set[str]:
    """Variants measured wherever they run (their cells need no mark)."""
    measured = {r.variant for r in results if r.expects_pass is None}
    return measured - {r.variant for r in results if r.expects_pass is not None}


def state_rows(results: list[ScenarioResult]) -> list[StateRow]:
    grouped: dict[tuple[str, str], list[ScenarioResult]] = defaultdict(list)
    for r in results:
        grouped[(r.fix_id, r.scenario)].append(r)
    rows = []
    for (fix_id, scen), rs in sorted(
        grouped.items(), key=lambda kv: (*_fix_key(kv[0][0]), kv[0][1])
    ):
        rows.append(
            StateRow(
                fix_id=fix_id,
                scenario=scen,
                outcomes={r.variant: r.outcome for r in rs},
                expected_fail=tuple(sorted(r.variant for r in rs if r.expects_pass is False)),
                measured=tuple(sorted(r.variant for r in rs if r.expects_pass is None)),
            )
        )
    return rows


def _fix_key(fix_id: str) -> tuple[str, int]:
    system, _, n = fix_id.partition("-")
    return (system, int(n) if n.isdigit() else 0)


def gate_problems(
    results: list[ScenarioResult],
    tests: Sequence[Any] = (),
) -> tuple[list[str], list[str]]:
    """(regressions, undecided): what makes the gate exit 1, and what leaves it unsure (2)."""
    regressions: list[str] = []
    undecided: list[str] = []
    for t in tests:
        if _is_plain(t) and t.outcome in ("failed", "error"):
            regressions.append(f"test {t.nodeid} {t.outcome}: {t.message}")
    for r in results:
        if r.outcome == "UNKNOWN" and r.expects_pass is not None:
            why = r.error or "no case was explored"
            undecided.append(f"{r.ref}: could not decide ({why})")
        elif r.expects_pass is True and r.outcome != "PASS":
            bad = r.failing_cases()
            first = f"; first: {bad[0].case_id}: {bad[0].verdict.summary}" if bad else ""
            regressions.append(
                f"{r.ref}: the fixed variant FAILED ({len(bad)} of {len(r.cases)} cases{first}); "
                f"replay: {r.replay(bad[0].case_id if bad else None)}"
            )
        elif r.expects_pass is False and r.outcome != "FAIL":
            regressions.append(
                f"{r.ref}: the pre-fix variant is no longer caught ({r.outcome}); "
                f"replay: {r.replay()}"
            )
    return regressions, undecided


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


def _edge_cases(results: list[ScenarioResult], claims: list[ClaimVerdict]) -> list[EdgeCase]:
    """The edge cases the seeds name (claims from an edge-case section) with their verdicts,
    cases a scenario flagged (detail ``edge_case``), and where outcomes were uncertain."""
    out: list[EdgeCase] = []
    for cv in claims:
        if "edge case" in cv.claim.section.lower():
            out.append(
                EdgeCase(
                    f"{cv.claim.id} ({cv.claim.seed}, {cv.claim.section})",
                    f"{cv.claim.claim} {cv.status}: {cv.reason}",
                )
            )
    for r in results:
        for c in r.cases:
            note = c.detail.get("edge_case")
            if note:
                out.append(EdgeCase(f"{r.ref}:{c.case_id}", f"{note} ({c.verdict.validity})"))
    uncertain: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in results:
        infos = sum(
            1
            for c in r.cases
            if c.history is not None
            for op in c.history.ops
            if op.type is OpType.INFO and op.process != NEMESIS
        )
        if infos:
            uncertain[(r.fix_id, r.scenario)].append(f"{r.variant} {infos}")
    for (fix_id, scen), counts in uncertain.items():
        out.append(
            EdgeCase(
                f"{fix_id}/{scen}",
                "operations whose outcome could not be known (info: a killed process or a "
                f"cut link), per variant: {', '.join(counts)}; the verdicts above account for them",
            )
        )
    return out


def _findings(
    run: Run, rows: list[StateRow], claims: list[ClaimVerdict], parts: list[FixPart]
) -> list[Finding]:
    out: list[Finding] = []
    fixed_broken = {r.fix_id for r in run.results if r.expects_pass is True and r.outcome == "FAIL"}
    for r in run.results:
        if r.expects_pass is True and r.outcome == "FAIL":
            bad = r.failing_cases()
            out.append(
                Finding(
                    "CRITICAL",
                    f"{r.ref}: the fixed variant fails {len(bad)} of {len(r.cases)} cases: "
                    f"{bad[0].verdict.summary if bad else ''}",
                    f"The fix does not hold. Replay: {r.replay(bad[0].case_id if bad else None)}",
                    (r.ref,),
                )
            )
        elif r.outcome == "UNKNOWN":
            out.append(
                Finding(
                    "HIGH",
                    f"{r.ref}: the harness could not decide: {r.error or 'no case explored'}",
                    f"Fix the scenario or its fixtures, then replay: {r.replay()}",
                    (r.ref,),
                )
            )
    refs = Counter(r.ref for r in run.results)
    for ref, n in sorted(refs.items()):
        if n > 1:
            out.append(
                Finding(
                    "HIGH",
                    f"{ref} was reported {n} times: two scenarios of {ref.split('/')[0]} share "
                    "one name, so the table merges them",
                    "Give each @scenario a distinct name (name=... or a distinct function name).",
                    (ref,),
                )
            )
    for row in rows:
        if row.flipped is False:
            stuck = [v for v in row.expected_fail if row.outcomes[v] != "FAIL"]
            if stuck:
                out.append(
                    Finding(
                        "HIGH",
                        f"{row.fix_id}/{row.scenario} did not flip: pre-fix variant(s) "
                        f"{', '.join(stuck)} not caught, so the scenario proves nothing",
                        "Make the scenario reach the bug on the pre-fix code (a crash point, "
                        "a schedule or a fault it does not yet try).",
                        tuple(f"{row.fix_id}/{row.scenario}/{v}" for v in stuck),
                    )
                )
    for cv in claims:
        if cv.status is ClaimStatus.REFUTED:
            severity = "HIGH" if set(cv.claim.fixes) & fixed_broken else "MEDIUM"
            replays = [
                c["replay"]
                for e in cv.evidence
                if e["outcome"] != e["holds_if"]
                for c in e["failing_cases"][:1]
            ]
            action = (
                "The seed's claim is wrong; the reference fix does not rely on it."
                if severity == "MEDIUM"
                else "The claim is wrong and the fixed variant fails too: fix the reference."
            )
            if replays:
                action += f" Replay: {replays[0]}"
            out.append(
                Finding(
                    severity,
                    f"Seed claim {cv.claim.id} refuted ({cv.claim.seed}, {cv.claim.section}): "
                    f'"{cv.claim.claim}" {cv.reason}',
                    action,
                    tuple(e["scenario"] for e in cv.evidence),
                )
            )
    for t in run.tests:
        if t.outcome in ("failed", "error") and _is_plain(t):
            out.append(
                Finding(
                    "HIGH",
                    f"test {t.nodeid} {t.outcome}: {t.message}",
                    "Investigate the test.",
                    (t.nodeid,),
                )
            )
    not_run: dict[str, list[str]] = defaultdict(list)
    for part in parts:
        if not part.exercised:
            not_run[part.fix.system].append(part.fix.id)
    for system, ids in sorted(not_run.items()):
        sysinfo = run.catalog.system(system)
        name = f" ({sysinfo.name})" if sysinfo else ""
        out.append(
            Finding(
                "LOW",
                f"{len(ids)} fix(es) of {system}{name} not exercised in this run: {', '.join(ids)}",
                "Build their reference code and scenarios, or select them with --fix; "
                "their claims stay UNTESTED.",
                tuple(ids),
            )
        )
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: order.get(f.severity, len(order)))


def _is_plain(test: Any) -> bool:
    # Scenario items speak through their results (the runner makes one for an item that
    # broke before recording any); only plain tests are reported as tests.
    return test.scenario is None


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
    for fix_id in sorted(set(by_fix) - known, key=_fix_key):
        fixes.append(Fix(fix_id, fix_id.split("-")[0], "(not in the fix catalog)", "", ""))
    for fix in sorted(fixes, key=lambda f: _fix_key(f.id)):
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
                tests=[t for t in run.tests if t.fix_id == fix.id and _is_plain(t)],
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
        variants=_variant_order(results),
        measured_columns=_measured_columns(results),
        rows=rows,
        claims=claims,
        parts=parts,
        findings=_findings(run, rows, claims, parts),
        edge_cases=_edge_cases(results, claims),
        counts=counts,
        status=status,
        status_detail=detail,
        regressions=regressions,
        undecided=undecided,
    )

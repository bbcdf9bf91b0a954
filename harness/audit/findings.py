"""Findings (severity, finding, action) and edge cases, derived from a run's results."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.audit.table import StateRow, is_plain
from harness.history import NEMESIS, OpType
from harness.ledger.verdicts import ClaimStatus, ClaimVerdict
from harness.scenario import FIXED, ScenarioResult

if TYPE_CHECKING:
    from harness.audit.analysis import FixPart
    from harness.audit.model import Run

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")


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


@dataclass(frozen=True)
class EdgeCase:
    ref: str
    note: str


def edge_cases(results: list[ScenarioResult], claims: list[ClaimVerdict]) -> list[EdgeCase]:
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


@dataclass(frozen=True)
class Inputs:
    """What every finding rule reads: the run, its state-change rows, claims and fix parts."""

    run: Run
    rows: list[StateRow]
    claims: list[ClaimVerdict]
    parts: list[FixPart]


Rule = Callable[[Inputs], Iterator[Finding]]


def fixed_variant_fails(i: Inputs) -> Iterator[Finding]:
    """CRITICAL: a fixed variant fails: the fix does not hold."""
    for r in i.run.results:
        if r.expects_pass is True and r.outcome == "FAIL":
            bad = r.failing_cases()
            yield Finding(
                "CRITICAL",
                f"{r.ref}: the fixed variant fails {len(bad)} of {len(r.cases)} cases: "
                f"{bad[0].verdict.summary if bad else ''}",
                f"The fix does not hold. Replay: {r.replay(bad[0].case_id if bad else None)}",
                (r.ref,),
            )


def undecided(i: Inputs) -> Iterator[Finding]:
    """HIGH: the harness could not decide a scenario."""
    for r in i.run.results:
        if not (r.expects_pass is True and r.outcome == "FAIL") and r.outcome == "UNKNOWN":
            yield Finding(
                "HIGH",
                f"{r.ref}: the harness could not decide: {r.error or 'no case explored'}",
                f"Fix the scenario or its fixtures, then replay: {r.replay()}",
                (r.ref,),
            )


def duplicate_names(i: Inputs) -> Iterator[Finding]:
    """HIGH: two scenarios report under one name, so the table merges them."""
    refs = Counter(r.ref for r in i.run.results)
    for ref, n in sorted(refs.items()):
        if n > 1:
            yield Finding(
                "HIGH",
                f"{ref} was reported {n} times: two scenarios of {ref.split('/')[0]} share "
                "one name, so the table merges them",
                "Give each @scenario a distinct name (name=... or a distinct function name).",
                (ref,),
            )


def not_flipped(i: Inputs) -> Iterator[Finding]:
    """HIGH: a scenario whose pre-fix variant is not caught proves nothing."""
    for row in i.rows:
        if row.flipped is False:
            stuck = [v for v in row.expected_fail if row.outcomes[v] != "FAIL"]
            if stuck:
                yield Finding(
                    "HIGH",
                    f"{row.fix_id}/{row.scenario} did not flip: pre-fix variant(s) "
                    f"{', '.join(stuck)} not caught, so the scenario proves nothing",
                    "Make the scenario reach the bug on the pre-fix code (a crash point, "
                    "a schedule or a fault it does not yet try).",
                    tuple(f"{row.fix_id}/{row.scenario}/{v}" for v in stuck),
                )


def _by_fix(rows: list[StateRow]) -> dict[str, list[StateRow]]:
    by_fix: dict[str, list[StateRow]] = defaultdict(list)
    for row in rows:
        by_fix[row.fix_id].append(row)
    return by_fix


def measured_only(i: Inputs) -> Iterator[Finding]:
    """INFO: a scenario that does not flip by design (its pre-fix variant only measured)."""
    by_fix = _by_fix(i.rows)
    for row in i.rows:
        if row.flip_text == "n/a" and row.measured and FIXED in row.outcomes:
            seen = ", ".join(f"{v} {row.outcomes[v]}" for v in row.measured)
            catchers = [r.scenario for r in by_fix[row.fix_id] if r.flipped]
            yield Finding(
                "INFO",
                f"{row.fix_id}/{row.scenario} does not flip by design: its pre-fix "
                f"variant is only measured ({seen}); it shows the fix holds, not that "
                "the old code was wrong",
                f"None: {', '.join(catchers)} catches the pre-fix code."
                if catchers
                else "Add a scenario that fails on the pre-fix variant.",
                (f"{row.fix_id}/{row.scenario}",),
            )


def fix_never_caught(i: Inputs) -> Iterator[Finding]:
    """HIGH: no scenario of a fix catches its pre-fix code."""
    for fix_id, fix_rows in sorted(_by_fix(i.rows).items()):
        if any(r.flipped is None and r.flip_text == "undecided" for r in fix_rows):
            continue  # an undecided scenario is its own finding
        if not any(r.flipped for r in fix_rows):
            yield Finding(
                "HIGH",
                f"{fix_id}: no scenario catches its pre-fix code, so nothing shows the "
                "fix was needed",
                "Add a scenario that fails on the pre-fix variant.",
                (fix_id,),
            )


def refuted_claims(i: Inputs) -> Iterator[Finding]:
    """HIGH/MEDIUM: a seed's claim the runs refute (HIGH when its fixed variant fails too);
    LOW when only a benchmark figure refutes it (measured on this machine)."""
    fixed_broken = {
        r.fix_id for r in i.run.results if r.expects_pass is True and r.outcome == "FAIL"
    }
    for cv in i.claims:
        if cv.status is not ClaimStatus.REFUTED:
            continue
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
        elif not any(e["outcome"] != e["holds_if"] for e in cv.evidence):
            # Refuted by a benchmark figure only: a measurement on this machine, not a bug.
            severity = "LOW"
            commands = sorted({m["command"] for m in cv.measured if m["holds"] is False})
            action = (
                "The seed's figure is not reached on this machine; re-measure on the target "
                f"hardware before relying on it: {'; '.join(commands)}"
            )
        yield Finding(
            severity,
            f"Seed claim {cv.claim.id} refuted ({cv.claim.seed}, {cv.claim.section}): "
            f'"{cv.claim.claim}" {cv.reason}',
            action,
            tuple(e["scenario"] for e in cv.evidence) + tuple(m["file"] for m in cv.measured),
        )


def failed_tests(i: Inputs) -> Iterator[Finding]:
    """HIGH: a plain (non-scenario) test failed."""
    for t in i.run.tests:
        if t.outcome in ("failed", "error") and is_plain(t):
            yield Finding(
                "HIGH",
                f"test {t.nodeid} {t.outcome}: {t.message}",
                "Investigate the test.",
                (t.nodeid,),
            )


def not_exercised(i: Inputs) -> Iterator[Finding]:
    """LOW: fixes of the catalog this run did not exercise."""
    not_run: dict[str, list[str]] = defaultdict(list)
    for part in i.parts:
        if not part.exercised:
            not_run[part.fix.system].append(part.fix.id)
    for system, ids in sorted(not_run.items()):
        sysinfo = i.run.catalog.system(system)
        name = f" ({sysinfo.name})" if sysinfo else ""
        yield Finding(
            "LOW",
            f"{len(ids)} fix(es) of {system}{name} not exercised in this run: {', '.join(ids)}",
            "Build their reference code and scenarios, or select them with --fix; "
            "their claims stay UNTESTED.",
            tuple(ids),
        )


#: One rule per kind of finding, in the order a report lists findings of one severity.
RULES: tuple[Rule, ...] = (
    fixed_variant_fails,
    undecided,
    duplicate_names,
    not_flipped,
    measured_only,
    fix_never_caught,
    refuted_claims,
    failed_tests,
    not_exercised,
)


def findings(
    run: Run, rows: list[StateRow], claims: list[ClaimVerdict], parts: list[FixPart]
) -> list[Finding]:
    """Every rule's findings, most severe first."""
    inputs = Inputs(run, rows, claims, parts)
    out = [f for rule in RULES for f in rule(inputs)]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: order.get(f.severity, len(order)))

"""The state-change table and the gate's verdict: what each scenario did on each variant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.scenario import FIXED, ScenarioResult


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


def variant_order(results: list[ScenarioResult]) -> list[str]:
    """Columns: variants some scenario must catch, then measured-only ones, then fixed."""
    pre = sorted({r.variant for r in results if r.expects_pass is False})
    measured = sorted({r.variant for r in results if r.expects_pass is None} - set(pre) - {FIXED})
    has_fixed = any(r.variant == FIXED for r in results)
    return [*pre, *measured, *([FIXED] if has_fixed else [])]


def measured_columns(results: list[ScenarioResult]) -> set[str]:
    """Variants measured wherever they run (their cells need no mark)."""
    measured = {r.variant for r in results if r.expects_pass is None}
    return measured - {r.variant for r in results if r.expects_pass is not None}


def state_rows(results: list[ScenarioResult]) -> list[StateRow]:
    grouped: dict[tuple[str, str], list[ScenarioResult]] = defaultdict(list)
    for r in results:
        grouped[(r.fix_id, r.scenario)].append(r)
    rows = []
    for (fix_id, scen), rs in sorted(
        grouped.items(), key=lambda kv: (*fix_key(kv[0][0]), kv[0][1])
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


def fix_key(fix_id: str) -> tuple[str, int]:
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
        if is_plain(t) and t.outcome in ("failed", "error"):
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


def is_plain(test: Any) -> bool:
    # Scenario items speak through their results (the runner makes one for an item that
    # broke before recording any); only plain tests are reported as tests.
    return test.scenario is None

"""Judge a stored run again, with no server: Jepsen's re-analysis of a stored history.

Every case the engine recorded keeps its history (ops, snapshots, facts) and the
checks that judged it; the same registered checkers run on the same record and
must give the same verdict. Cases recorded without checks (a scenario not yet on
the engine) keep their recorded verdict and are counted apart. A power-loss model with
no failing state is one case holding every state's record packed
(``harness.disk.summary``): each is judged again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.checkers.judge import Check, judged
from harness.disk.summary import PACKED, rejudge
from harness.history import History
from harness.scenario import Case, ScenarioResult
from harness.verdict import Verdict


@dataclass
class Recheck:
    rechecked: int = 0
    same: int = 0
    kept: int = 0  # not recheckable: recorded without checks
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # ref, was, now

    @property
    def identical(self) -> bool:
        return not self.changed

    def summary(self) -> str:
        text = (
            f"rechecked {self.rechecked} case(s) from their records: {self.same} same verdict, "
            f"{len(self.changed)} changed; {self.kept} recorded without checks (kept as recorded)"
        )
        return text


def _normal(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def recheck_case(case: Case) -> Verdict | None:
    """The case judged again from its record, or None when it has no recorded checks."""
    checks = case.detail.get("checks")
    if checks and PACKED in case.detail:  # a power-loss model's states, all VALID
        return rejudge(case.case_id, case.detail)
    if not checks or case.history is None or case.detail.get("timed_out"):
        return None
    parts = case.detail.get("run_parts") or case.history.meta.get("run_parts") or []
    history = History.from_json(_normal(case.history.to_json()))
    return judged(
        case.case_id,
        history,
        [Check.from_json(c) for c in checks],
        [Verdict.from_json(p) for p in parts],
    )


def recheck(results: list[ScenarioResult]) -> tuple[Recheck, list[ScenarioResult]]:
    """Every case judged again; the results with the new verdicts, and what changed."""
    out = Recheck()
    rejudged: list[ScenarioResult] = []
    for result in results:
        cases = []
        for case in result.cases:
            verdict = recheck_case(case)
            if verdict is None:
                out.kept += 1
                cases.append(case)
                continue
            out.rechecked += 1
            if _normal(verdict.to_json()) == _normal(case.verdict.to_json()):
                out.same += 1
            else:
                out.changed.append(
                    (
                        result.replay(case.case_id),
                        str(case.verdict.validity),
                        f"{verdict.validity}: {verdict.summary}",
                    )
                )
            cases.append(Case(case.case_id, verdict, case.detail, case.history))
        rejudged.append(
            ScenarioResult.from_json({**result.to_json(), "cases": [c.to_json() for c in cases]})
        )
    return out, rejudged

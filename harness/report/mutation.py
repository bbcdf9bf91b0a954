"""The mutation section of the report: what the templates see of a run's mutation scores.

Kept apart from ``context`` so the report's other parts change without touching
this one; ``context.build`` merges what ``context_of`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.audit.model import Run
from harness.audit.table import fix_key
from harness.mutate.model import FixScore

NOT_RUN = "not run"


@dataclass(frozen=True)
class MutationView:
    scores: list[FixScore]  # in fix order
    source: str  # where the scores came from (this run, or a saved `harness mutate`)

    def caught(self, fix_id: str) -> str:
        """The state-change table's "mutants caught" cell."""
        score = next((s for s in self.scores if s.fix_id == fix_id), None)
        return score.caught if score is not None else NOT_RUN

    @property
    def below(self) -> list[FixScore]:
        return [s for s in self.scores if s.score is not None and s.score < 0.95]


def view(run: Run) -> MutationView:
    scores = [FixScore.from_json(v) for v in run.mutation.get("scores", {}).values()]
    scores.sort(key=lambda s: fix_key(s.fix_id))
    return MutationView(scores, str(run.mutation.get("source", "")))


def context_of(run: Run) -> dict[str, Any]:
    v = view(run)
    return {"mutation": v, "mutants_caught": v.caught}

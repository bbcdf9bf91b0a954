"""Results of a mutation run, as data: per mutant, and the score of each fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "fault-harness/mutation/1"
#: killed: a scenario's verdict caught it; survived: every scenario passed;
#: timeout: no verdict within the limit (not a kill); equivalent: a reviewed mark
#: says no behaviour can tell it from the original (not run).
STATUSES = ("killed", "survived", "timeout", "equivalent")


@dataclass
class MutantResult:
    id: str
    file: str
    target: str
    line: int
    operator: str
    change: str
    status: str
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # the equivalence mark's reason
    items: int = 0  # test items run against it

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "target": self.target,
            "line": self.line,
            "operator": self.operator,
            "change": self.change,
            "status": self.status,
            "evidence": self.evidence,
            "reason": self.reason,
            "items": self.items,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MutantResult:
        return cls(
            id=str(data["id"]),
            file=str(data["file"]),
            target=str(data["target"]),
            line=int(data["line"]),
            operator=str(data["operator"]),
            change=str(data["change"]),
            status=str(data["status"]),
            evidence=dict(data.get("evidence", {})),
            reason=str(data.get("reason", "")),
            items=int(data.get("items", 0)),
        )


@dataclass
class FixScore:
    fix_id: str
    mutants: list[MutantResult] = field(default_factory=list)
    wall_s: float = 0.0
    workers: int = 0
    stale_equivalents: list[str] = field(default_factory=list)  # marks matching no mutant
    measured: dict[str, str] = field(default_factory=dict)  # commit and date, when saved

    def count(self, status: str) -> int:
        return sum(1 for m in self.mutants if m.status == status)

    @property
    def considered(self) -> int:
        """Mutants that count: all but the reviewed equivalents."""
        return len(self.mutants) - self.count("equivalent")

    @property
    def score(self) -> float | None:
        return self.count("killed") / self.considered if self.considered else None

    @property
    def caught(self) -> str:
        """``"41/43 (95%)"``: the state-change table's "mutants caught"."""
        if self.score is None:
            return "no mutants"
        return f"{self.count('killed')}/{self.considered} ({self.score:.0%})"

    def not_caught(self) -> list[MutantResult]:
        return [m for m in self.mutants if m.status in ("survived", "timeout")]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "fix_id": self.fix_id,
            "mutants_total": len(self.mutants),
            "killed": self.count("killed"),
            "survived": self.count("survived"),
            "timeout": self.count("timeout"),
            "equivalent": self.count("equivalent"),
            "score": None if self.score is None else round(self.score, 4),
            "caught": self.caught,
            "wall_s": round(self.wall_s, 2),
            "workers": self.workers,
            "stale_equivalents": self.stale_equivalents,
            **({"measured": self.measured} if self.measured else {}),
            "mutants": [m.to_json() for m in self.mutants],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FixScore:
        return cls(
            fix_id=str(data["fix_id"]),
            mutants=[MutantResult.from_json(m) for m in data.get("mutants", [])],
            wall_s=float(data.get("wall_s", 0.0)),
            workers=int(data.get("workers", 0)),
            stale_equivalents=list(data.get("stale_equivalents", [])),
            measured=dict(data.get("measured") or {}),
        )

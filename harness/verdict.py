"""Verdicts: what a checker decided, and the evidence that decided it.

As in Jepsen, validity is three-valued. ``UNKNOWN`` is what a checker that
could not decide (or crashed) yields: never a false pass.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Validity(enum.Enum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Verdict:
    """A checker's decision with its evidence (JSON-serializable values only)."""

    checker: str
    validity: Validity
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.validity is Validity.VALID

    def to_json(self) -> dict[str, Any]:
        return {
            "checker": self.checker,
            "validity": self.validity.value,
            "summary": self.summary,
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            checker=str(data["checker"]),
            validity=Validity(data["validity"]),
            summary=str(data["summary"]),
            evidence=dict(data.get("evidence", {})),
        )

    @classmethod
    def ok(cls, checker: str, summary: str, **evidence: Any) -> Verdict:
        return cls(checker, Validity.VALID, summary, evidence)

    @classmethod
    def violated(cls, checker: str, summary: str, **evidence: Any) -> Verdict:
        return cls(checker, Validity.INVALID, summary, evidence)

    @classmethod
    def unknown(cls, checker: str, summary: str, **evidence: Any) -> Verdict:
        return cls(checker, Validity.UNKNOWN, summary, evidence)


def worst(validities: Iterable[Validity]) -> Validity:
    """INVALID beats UNKNOWN beats VALID; an empty set is VALID."""
    seen = set(validities)
    if Validity.INVALID in seen:
        return Validity.INVALID
    if Validity.UNKNOWN in seen:
        return Validity.UNKNOWN
    return Validity.VALID


def compose(name: str, verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict from several: the worst validity, each part kept as evidence."""
    parts = list(verdicts)
    validity = worst(v.validity for v in parts)
    failing = [v for v in parts if v.validity is validity and validity is not Validity.VALID]
    summary = "; ".join(v.summary for v in failing) if failing else f"{len(parts)} checks valid"
    return Verdict(name, validity, summary, {"parts": [v.to_json() for v in parts]})

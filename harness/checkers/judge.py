"""Checks as data: a registered checker's name and parameters, judged on a case's record.

    CHECKS = [Check("at_most_once", f="poll_op"), Check("agt.no_lost_command", stage="after_recovery")]
    verdict = judge("crash@agt.poll.before_commit", history, CHECKS)

A case records its checks beside its history, so a stored run is judged again
(``harness report --recheck``) by the same checkers on the same record, with no server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.checkers.registry import get_checker
from harness.errors import ConfigError
from harness.history import History
from harness.verdict import Verdict, compose


@dataclass(frozen=True)
class Check:
    """One registered checker with its parameters (JSON values)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, name: str, /, **params: Any) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"a check is a registered checker's name, got {name!r}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "params", dict(params))

    def __call__(self, history: History) -> Verdict:
        return get_checker(self.name)(history, **self.params)

    def validate(self) -> Check:
        """Fail now (unknown checker, unknown parameter), not in the first case."""
        checker = get_checker(self.name)
        unknown = sorted(set(self.params) - set(checker.params))
        if unknown:
            raise ConfigError(
                f"checker {self.name!r} has no parameter {', '.join(unknown)}; "
                f"it takes: {', '.join(checker.params) or 'nothing'}"
            )
        return self

    def label(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})" if args else self.name

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Check:
        return cls(str(data["name"]), **dict(data.get("params", {})))


def checks_of(checks: Sequence[Check]) -> list[Check]:
    """Validated checks (a list of ``Check``; at least one)."""
    if isinstance(checks, Check) or not isinstance(checks, Sequence) or not checks:
        raise ConfigError(
            f"checks must be a non-empty list of Check('name', **params), got {checks!r}"
        )
    for c in checks:
        if not isinstance(c, Check):
            raise ConfigError(f"checks must hold Check('name', **params) items, got {c!r}")
    return [c.validate() for c in checks]


def judge(case_id: str, history: History, checks: Sequence[Check]) -> Verdict:
    """Every check on the record, into one verdict; a check that raises is UNKNOWN alone."""
    return compose(case_id, [c(history) for c in checks])


def judged(
    case_id: str, history: History, checks: Sequence[Check], run_parts: Sequence[Verdict] = ()
) -> Verdict:
    """``judge``, joined with verdicts about the run itself (a failed snapshot, a point not
    reached) when there are any: what a case records, and what a recheck recomputes."""
    verdict = judge(case_id, history, checks)
    return compose(case_id, [verdict, *run_parts]) if run_parts else verdict

"""A property search recorded as an op: its ``ok`` value is None (no counterexample found)
or ``{"example": ..., "reason": ...}`` (the smallest input that breaks the property)."""

from __future__ import annotations

from harness.checkers.registry import register
from harness.history import History, OpType
from harness.verdict import Verdict

NAME = "property_holds"


def _h(value: object, type_: str = "ok") -> dict[str, object]:
    return {
        "schema": 1,
        "ops": [
            {"index": 0, "process": "search", "type": "invoke", "f": "p", "value": None},
            {"index": 1, "process": "search", "type": type_, "f": "p", "value": value},
        ],
        "snapshots": {},
        "meta": {},
    }


@register(
    NAME,
    example={"f": "p"},
    examples=[
        (_h(None), {"f": "p"}, "valid"),
        (_h({"example": "3", "reason": "3 is odd"}), {"f": "p"}, "invalid"),
        (_h(None, "info"), {"f": "p"}, "unknown"),
    ],
)
def property_holds(history: History, *, f: str, holds: str = "the property") -> Verdict:
    """The last search ``f`` completed ``ok`` with no counterexample."""
    done = [op for op in history if op.f == f and op.type is not OpType.INVOKE]
    if not done:
        return Verdict.unknown(NAME, f"no search {f!r} in the history")
    last = done[-1]
    if last.type is not OpType.OK:
        return Verdict.unknown(NAME, f"search {f!r} did not complete: {last.error}")
    if last.value is None:
        return Verdict.ok(NAME, f"{holds}: no counterexample")
    return Verdict.violated(
        NAME,
        f"{holds} is violated: {last.value.get('reason')}",
        counterexample=last.value.get("example"),
    )

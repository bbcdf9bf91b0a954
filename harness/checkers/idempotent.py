"""Idempotency: however often a request was tried, its effect exists exactly once.

Each ``f`` op's invoke value carries a request key (``value[key]``, or the value
itself when ``key`` is None). The effects are rows of ``table`` in a snapshot,
matched on ``column`` (default: the key's name). Per request key:
duplicated: more than one effect; missing: an attempt was acknowledged (ok) and
there is no effect; phantom: every attempt certainly failed (fail) and there is
an effect. Attempts of unknown outcome (info) allow zero or one effect.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from harness.checkers import _ops
from harness.checkers._ops import hashable, key_of, names, pairs, shown
from harness.checkers.registry import register
from harness.history import History, OpType
from harness.verdict import Verdict

NAME = "idempotent"


@register(NAME, example={"f": "enqueue", "key": None, "table": "jobs", "column": "request_id"})
def idempotent(
    history: History,
    *,
    f: str | Sequence[str] = "enqueue",
    key: str | None = "request_id",
    table: str = "jobs",
    column: str | None = None,
    snapshot: str = "after",
) -> Verdict:
    """Each request key has exactly one effect if acknowledged, none if it certainly failed."""
    column = column or key
    outcomes: dict[Any, set[OpType]] = defaultdict(set)
    for pair in pairs(history, names(f)):
        outcomes[key_of(pair.invoke.value, key)].add(pair.type)
    state = _ops.snapshot(history, snapshot)
    if not isinstance(state, dict) or table not in state:
        raise LookupError(f"snapshot {snapshot!r} has no table {table!r}")
    if column is None:
        raise LookupError("set column= (the effect rows' request key column)")
    effects: Counter[Any] = Counter(hashable(row[column]) for row in state[table])
    duplicated = {k: effects[k] for k in outcomes if effects[k] > 1}
    missing = [k for k, seen in outcomes.items() if OpType.OK in seen and effects[k] == 0]
    phantom = [k for k, seen in outcomes.items() if seen == {OpType.FAIL} and effects[k] > 0]
    evidence = {
        "requests": len(outcomes),
        "attempts": sum(1 for _ in pairs(history, names(f))),
        "effects": sum(effects.values()),
        "duplicated": {str(k): n for k, n in list(duplicated.items())[: _ops.SHOWN]},
        "missing": shown(missing),
        "phantom": shown(phantom),
        "unattempted_effects": shown(k for k in effects if k not in outcomes),
    }
    wrong = [
        f"{n} {what}"
        for what, n in (
            ("duplicated", len(duplicated)),
            ("missing", len(missing)),
            ("phantom", len(phantom)),
        )
        if n
    ]
    if wrong:
        return Verdict.violated(NAME, "request keys " + ", ".join(wrong), **evidence)
    return Verdict.ok(
        NAME,
        f"{evidence['requests']} request keys, {evidence['attempts']} attempts: each effect once",
        **evidence,
    )

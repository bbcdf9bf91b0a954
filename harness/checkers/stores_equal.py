"""Two stores hold the same records (dual-write): compare two snapshots of a history.

A snapshot is either a mapping ``key -> record`` or a list of rows (dicts) keyed
by ``key`` (a column name or a list of them). ``fields`` limits the comparison
to those fields of each record (the columns both schemas share).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.checkers import _ops
from harness.checkers._ops import hashable, jsonable
from harness.checkers.registry import register
from harness.errors import ConfigError
from harness.history import History
from harness.verdict import Verdict

NAME = "stores_equal"


def _index(state: Any, key: str | Sequence[str] | None, side: str) -> dict[Any, Any]:
    if isinstance(state, dict):
        return {hashable(k): v for k, v in state.items()}
    if isinstance(state, list | tuple):
        if key is None:
            raise ConfigError(f"snapshot {side!r} is a list of rows: set key= to its key column(s)")
        cols = [key] if isinstance(key, str) else list(key)
        out = {}
        for row in state:
            if not isinstance(row, dict) or any(c not in row for c in cols):
                raise LookupError(f"a row of {side!r} lacks key column(s) {cols}: {row!r}")
            out[hashable(tuple(row[c] for c in cols) if len(cols) > 1 else row[cols[0]])] = row
        return out
    raise LookupError(f"snapshot {side!r} is neither a mapping nor a list of rows")


def _project(record: Any, fields: Sequence[str] | None) -> Any:
    if fields is None or not isinstance(record, dict):
        return record
    return {f: record.get(f) for f in fields}


@register(NAME, example={"left": "old", "right": "new"})
def stores_equal(
    history: History,
    *,
    left: str = "old",
    right: str = "new",
    key: str | Sequence[str] | None = None,
    fields: Sequence[str] | None = None,
) -> Verdict:
    """Snapshots ``left`` and ``right`` hold the same keys with equal records."""
    if left == right:
        raise ConfigError(f"left and right are both {left!r}: name two different snapshots")
    a = _index(_ops.snapshot(history, left), key, left)
    b = _index(_ops.snapshot(history, right), key, right)
    only_left = sorted((k for k in a if k not in b), key=repr)
    only_right = sorted((k for k in b if k not in a), key=repr)
    differing = sorted(
        (k for k in a if k in b and _project(a[k], fields) != _project(b[k], fields)), key=repr
    )
    evidence = {
        "left": left,
        "right": right,
        "left_records": len(a),
        "right_records": len(b),
        "mismatches": len(only_left) + len(only_right) + len(differing),
        "only_left": _ops.shown(only_left),
        "only_right": _ops.shown(only_right),
        "differing": [
            {
                "key": jsonable(k),
                left: jsonable(_project(a[k], fields)),
                right: jsonable(_project(b[k], fields)),
            }
            for k in differing[: _ops.SHOWN]
        ],
    }
    if evidence["mismatches"]:
        return Verdict.violated(
            NAME,
            f"{evidence['mismatches']} mismatch(es): {len(only_left)} only in {left}, "
            f"{len(only_right)} only in {right}, {len(differing)} differing",
            **evidence,
        )
    return Verdict.ok(NAME, f"{len(a)} records equal in {left} and {right}", **evidence)

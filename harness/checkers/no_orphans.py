"""No orphan rows: every child row's foreign key finds its parent in a snapshot.

Relations are written as SQL spells a reference: ``"spans(trace_id) -> traces(id)"``,
composite keys as ``"logs(trace_id, span_id) -> spans(trace_id, span_id)"``. The
snapshot maps table names to lists of rows (dicts), as ``snapshot_tables`` takes it.
A NULL foreign key is no reference, so no orphan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from harness.checkers import _ops
from harness.checkers._ops import hashable, shown
from harness.checkers.registry import register
from harness.errors import ConfigError
from harness.history import History
from harness.verdict import Verdict

NAME = "no_orphans"
_RELATION = re.compile(r"^\s*(\w+)\s*\(([\w\s,]+)\)\s*->\s*(\w+)\s*\(([\w\s,]+)\)\s*$")


def parse_relation(text: str) -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
    m = _RELATION.match(text) if isinstance(text, str) else None
    if m is None:
        raise ConfigError(
            f"relation {text!r} is not 'child(fk) -> parent(pk)', e.g. 'spans(trace_id) -> traces(id)'"
        )
    fk = tuple(c.strip() for c in m.group(2).split(","))
    pk = tuple(c.strip() for c in m.group(4).split(","))
    if len(fk) != len(pk) or not all(fk) or not all(pk):
        raise ConfigError(f"relation {text!r}: the two column lists must have the same length")
    return m.group(1), fk, m.group(3), pk


def _rows(state: Any, table: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(state, dict) or table not in state:
        raise LookupError(f"snapshot has no table {table!r}")
    rows = state[table]
    for row in rows:
        missing = [c for c in columns if c not in row]
        if missing:
            raise LookupError(f"rows of {table!r} have no column {', '.join(missing)}")
    return list(rows)


@register(NAME, example={"relations": ["child(parent_id) -> parent(id)"]})
def no_orphans(history: History, *, relations: Sequence[str], snapshot: str = "after") -> Verdict:
    """Every child row of each relation has its parent row in snapshot ``snapshot``."""
    if isinstance(relations, str) or not relations:
        raise ConfigError(
            "relations must be a non-empty list like ['spans(trace_id) -> traces(id)']"
        )
    parsed = [parse_relation(r) for r in relations]
    state = _ops.snapshot(history, snapshot)
    orphans: dict[str, list[Any]] = {}
    checked = 0
    for text, (child, fk, parent, pk) in zip(relations, parsed, strict=True):
        parents = {tuple(hashable(r[c]) for c in pk) for r in _rows(state, parent, pk)}
        found = []
        for row in _rows(state, child, fk):
            ref = tuple(hashable(row[c]) for c in fk)
            checked += 1
            if any(v is None for v in ref):
                continue
            if ref not in parents:
                found.append(row)
        if found:
            orphans[text] = found
    count = sum(len(v) for v in orphans.values())
    evidence = {
        "snapshot": snapshot,
        "child_rows": checked,
        "orphan_count": count,
        "orphans": {rel: shown(rows) for rel, rows in orphans.items()},
    }
    if orphans:
        return Verdict.violated(
            NAME,
            f"{count} orphan row(s): " + "; ".join(f"{len(v)} in {k}" for k, v in orphans.items()),
            **evidence,
        )
    return Verdict.ok(NAME, f"{checked} child rows, every one with its parent", **evidence)

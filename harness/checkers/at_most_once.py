"""At-most-once delivery: no item is delivered (an ``ok`` of a delivering op) twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from harness.checkers._ops import items, names, pairs, shown
from harness.checkers.registry import register
from harness.history import History, OpType
from harness.verdict import Verdict

NAME = "at_most_once"


@register(NAME, example={"f": "deliver"})
def at_most_once(
    history: History,
    *,
    f: str | Sequence[str] = "deliver",
    key: str | None = None,
    exclude: Sequence[str] = (),
) -> Verdict:
    """No item appears in the ok values of ``f`` ops more than once (a list value is several
    items); ops of the ``exclude`` processes are not counted (e.g. a poll after the lease)."""
    ops = names(f)
    skip = frozenset(exclude)
    seen: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    deliveries = 0
    for pair in pairs(history, ops):
        if pair.completion is None or pair.completion.type is not OpType.OK:
            continue
        if pair.completion.process in skip:
            continue
        for item in items(pair.completion.value, key):
            deliveries += 1
            seen[item].append({"process": pair.completion.process, "op": pair.completion.index})
    duplicated = {item: where for item, where in seen.items() if len(where) > 1}
    evidence = {
        "deliveries": deliveries,
        "distinct": len(seen),
        "duplicated_count": len(duplicated),
        "duplicated": [
            {"item": i, "deliveries": w}
            for i, w in zip(shown(duplicated), duplicated.values(), strict=False)
        ],
    }
    if duplicated:
        first = next(iter(duplicated))
        return Verdict.violated(
            NAME,
            f"{len(duplicated)} item(s) delivered more than once, e.g. {first!r} "
            f"{len(duplicated[first])} times",
            **evidence,
        )
    return Verdict.ok(NAME, f"{deliveries} deliveries of {len(seen)} items, none twice", **evidence)

"""Nothing lost, nothing invented, nothing twice: Jepsen's total-queue over enqueue/dequeue ops.

attempted = every enqueue invoked; acknowledged = enqueues that completed ok;
dequeued = items in ok dequeue values (plus a ``remaining`` snapshot, the final drain).
lost = acknowledged - dequeued; unexpected = dequeued and never attempted;
duplicated = dequeued more often than attempted; recovered = dequeued though its
enqueue was not acknowledged (an ``info`` that did take effect). Valid iff nothing
is lost, unexpected or duplicated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from harness.checkers._ops import items, names, pairs, shown, snapshot
from harness.checkers.registry import register
from harness.history import History, OpType
from harness.verdict import Verdict

NAME = "total_queue"


@register(NAME, example={"enqueue": "enqueue", "dequeue": "dequeue"})
def total_queue(
    history: History,
    *,
    enqueue: str | Sequence[str] = "enqueue",
    dequeue: str | Sequence[str] = "dequeue",
    key: str | None = None,
    remaining: str | None = None,
) -> Verdict:
    """Jepsen's total-queue: lost, duplicated, unexpected and recovered items."""
    attempted: Counter[object] = Counter()
    acknowledged: Counter[object] = Counter()
    for pair in pairs(history, names(enqueue, "enqueue")):
        for item in items(pair.invoke.value, key):
            attempted[item] += 1
            if pair.type is OpType.OK:
                acknowledged[item] += 1
    dequeued: Counter[object] = Counter()
    for pair in pairs(history, names(dequeue, "dequeue")):
        if pair.completion is not None and pair.completion.type is OpType.OK:
            dequeued.update(items(pair.completion.value, key))
    if remaining is not None:
        dequeued.update(items(list(snapshot(history, remaining)), key))
    lost = acknowledged - dequeued
    unexpected = Counter({i: n for i, n in dequeued.items() if i not in attempted})
    duplicated = (dequeued - attempted) - unexpected
    recovered = dequeued & (attempted - acknowledged)
    evidence = {
        "attempted": sum(attempted.values()),
        "acknowledged": sum(acknowledged.values()),
        "dequeued": sum(dequeued.values()),
        "lost_count": sum(lost.values()),
        "unexpected_count": sum(unexpected.values()),
        "duplicated_count": sum(duplicated.values()),
        "recovered_count": sum(recovered.values()),
        "lost": shown(sorted(lost, key=repr)),
        "unexpected": shown(sorted(unexpected, key=repr)),
        "duplicated": shown(sorted(duplicated, key=repr)),
        "recovered": shown(sorted(recovered, key=repr)),
    }
    wrong = [
        f"{evidence[k + '_count']} {k}"
        for k in ("lost", "duplicated", "unexpected")
        if evidence[k + "_count"]
    ]
    if wrong:
        return Verdict.violated(NAME, ", ".join(wrong), **evidence)
    return Verdict.ok(
        NAME,
        f"{evidence['acknowledged']} acknowledged, {evidence['dequeued']} dequeued: "
        f"none lost, duplicated or unexpected ({evidence['recovered_count']} recovered)",
        **evidence,
    )

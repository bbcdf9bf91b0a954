"""ALICE's contract on a power-loss record: everything acknowledged before the cut is back.

The disk explorer records each crash state as a history: the recovered view as a
snapshot (``after_power``) and the facts of the state (``acked``: the labels the
process acknowledged before the cut, ``model``, ``state``). This checker reads the
labels recovered from the snapshot (the snapshot itself, or its ``field``).
"""

from __future__ import annotations

from collections.abc import Collection

from harness.checkers import _ops
from harness.checkers.registry import register
from harness.history import History
from harness.verdict import Verdict

NAME = "acked_recovered"


def lost_labels(acked: Collection[str], recovered: Collection[str]) -> list[str]:
    """The acknowledged labels not recovered, in acknowledgement order."""
    found = set(recovered)
    return [label for label in acked if label not in found]


def verdict_of(
    name: str, acked: Collection[str], recovered: Collection[str], **evidence: object
) -> Verdict:
    """The verdict on one state: shared by this checker and the disk's short form."""
    lost = lost_labels(acked, recovered)
    if lost:
        return Verdict.violated(
            name,
            f"{len(lost)} acknowledged entr{'y' if len(lost) == 1 else 'ies'} lost: "
            f"{', '.join(lost[:5])}",
            **evidence,
            lost=lost,
            recovered=sorted(set(recovered))[:50],
        )
    return Verdict.ok(name, f"all {len(acked)} acknowledged entries recovered", **evidence)


def _example(recovered: list[str], acked: list[str]) -> dict[str, object]:
    return {
        "schema": 1,
        "ops": [],
        "snapshots": {"after_power": recovered},
        "meta": {"facts": {"acked": acked, "model": "weakest", "state": "op3:keep=none"}},
    }


@register(
    NAME,
    example={"stage": "after_power"},
    examples=[
        (_example(["0", "1"], ["0", "1"]), {}, "valid"),
        (_example(["0"], ["0", "1"]), {}, "invalid"),
    ],
)
def acked_recovered(
    history: History, *, stage: str = "after_power", field: str | None = None
) -> Verdict:
    """Every label acknowledged before the power cut (facts ``acked``) is among the labels
    recovered (snapshot ``stage``, or its ``field``)."""
    view = _ops.snapshot(history, stage)
    if field is not None:
        if not isinstance(view, dict) or field not in view:
            raise LookupError(f"snapshot {stage!r} has no field {field!r}")
        view = view[field]
    facts = history.meta.get("facts") or {}
    if "acked" not in facts:
        raise LookupError("the record's facts name no acknowledged labels ('acked')")
    return verdict_of(NAME, list(facts["acked"]), [str(v) for v in view], state=facts.get("state"))

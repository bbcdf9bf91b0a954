"""Checkers that hold a QUE step or the queue's keys to an exact expectation written in the
scenario (issue 13's oracle cases): values from the fix's statement, never from reference_impl."""

from __future__ import annotations

from typing import Any

from harness.checkers import register
from harness.history import History, OpType
from harness.verdict import Verdict

_REC = {
    "schema": 1,
    "ops": [
        {"index": 0, "process": "client", "type": "invoke", "f": "ops", "value": None},
        {
            "index": 1,
            "process": "client",
            "type": "ok",
            "f": "ops",
            "value": [["enqueued", "j", True]],
        },
    ],
    "snapshots": {"final": {"queue": ["j"], "old": {"j": {"status": "pending"}}}},
    "meta": {},
}


@register(
    "que.steps_gave",
    example={"value": []},
    examples=[
        (_REC, {"value": [["enqueued", "j", True]]}, "valid"),
        (_REC, {"value": [["enqueued", "j", False]]}, "invalid"),
    ],
)
def steps_gave(history: History, *, value: Any, process: str = "client") -> Verdict:
    """The last completed step of ``process`` returned exactly ``value``."""
    done = [op for op in history if op.process == process and op.type is not OpType.INVOKE]
    if not done:
        return Verdict.unknown("que.steps_gave", f"no completed step of {process!r}")
    last = done[-1]
    if last.type is not OpType.OK or last.value != value:
        return Verdict.violated(
            "que.steps_gave",
            f"{process}: got {last.value!r} ({last.type.value}{': ' + last.error if last.error else ''}), want {value!r}",
            got=last.value,
            want=value,
        )
    return Verdict.ok("que.steps_gave", f"{process}: as expected")


@register(
    "que.keys_are",
    example={"want": {}},
    examples=[
        (_REC, {"want": {"queue": ["j"]}}, "valid"),
        (_REC, {"want": {"queue": []}}, "invalid"),
        (_REC, {"want": {"old": {"j": {"status": "pending"}}}}, "valid"),
    ],
)
def keys_are(history: History, *, want: dict[str, Any], stage: str = "final") -> Verdict:
    """Each named part of the snapshot (``queue``, ``old``, ``new``, ``idempotency``,
    ``other``, ``metrics``) is as given; a job hash given as a dict is compared on the
    fields named (the others, timestamps, are free)."""
    state = history.snapshots[stage]
    wrong = {}
    for part, expected in want.items():
        got = state.get(part)
        if part in ("old", "new") and isinstance(expected, dict) and isinstance(got, dict):
            same = set(got) == set(expected) and all(
                all(got[k].get(f) == v for f, v in fields.items()) for k, fields in expected.items()
            )
        else:
            same = got == expected
        if not same:
            wrong[part] = {"got": got, "want": expected}
    if wrong:
        return Verdict.violated("que.keys_are", f"keys differ: {sorted(wrong)}", diff=wrong)
    return Verdict.ok("que.keys_are", f"{', '.join(sorted(want)) or 'nothing'} as expected")

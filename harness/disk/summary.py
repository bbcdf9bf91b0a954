"""The VALID case of a model with no failing state, recheckable: its states packed.

A model under which every crash state passed is one case, ``power:<model>``. So that
``harness report --recheck`` judges it again like any other case, it keeps every
state's record in a compact form: the distinct recovered views once, and per state
only its own facts (``acked``, ``state``, ``op``) and which view it recovered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from harness.checkers.judge import Check, judged
from harness.disk.states import CrashState
from harness.history import History
from harness.verdict import Verdict, compose

AFTER_POWER = "after_power"
PACKED = "power_states"
_OWN = ("acked", "state", "op")  # what differs from state to state


def record(view: Any, facts: Mapping[str, Any], *, recovered: bool = True) -> History:
    """A crash state's record: the recovered view as ``after_power`` (none when recovery
    failed) and its facts."""
    history = History()
    history.meta["facts"] = dict(facts)
    if recovered:
        history.snapshot(AFTER_POWER, view)
    return history


def facts_of(state: CrashState, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **extra,
        "acked": list(state.acked),
        "model": state.model,
        "state": state.id,
        "op": state.index,
    }


def all_valid(model: str, n: int) -> Verdict:
    return Verdict.ok("power-loss", f"all {n} crash states under {model} recovered and checked")


def pack(histories: Sequence[tuple[str, History]]) -> dict[str, Any]:
    """``(image digest, record)`` of every state of one model, as JSON: each distinct view
    once (states sharing an image share it; images recovering alike share it too)."""
    views: list[Any] = []
    index: dict[str, int] = {}
    by_image: dict[str, int] = {}
    states: list[list[Any]] = []
    shared: dict[str, Any] = {}
    for image, history in histories:
        if image not in by_image:
            view = history.snapshots[AFTER_POWER]
            key = json.dumps(view, sort_keys=True, default=str)
            if key not in index:
                index[key] = len(views)
                views.append(view)
            by_image[image] = index[key]
        facts = history.meta["facts"]
        shared = {k: v for k, v in facts.items() if k not in _OWN}
        states.append([by_image[image], *(facts[k] for k in _OWN)])
    return {"facts": shared, "views": views, "states": states}


def unpack(packed: Mapping[str, Any]) -> Iterator[History]:
    views = packed["views"]
    for view_at, *own in packed["states"]:
        yield record(views[view_at], {**packed["facts"], **dict(zip(_OWN, own, strict=True))})


def rejudge(case_id: str, detail: Mapping[str, Any]) -> Verdict:
    """The packed states judged again by the recorded checks: the same VALID verdict when
    all pass, else the failing ones."""
    checks = [Check.from_json(c) for c in detail["checks"]]
    packed = detail[PACKED]
    failing = []
    n = 0
    for history in unpack(packed):
        n += 1
        facts = history.meta["facts"]
        verdict = judged(f"{case_id}:{facts['state']}", history, checks)
        if not verdict.valid:
            failing.append(verdict)
    if failing:
        return compose(case_id, failing)
    return all_valid(str(packed["facts"].get("model", detail.get("model"))), n)

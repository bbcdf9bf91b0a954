"""``Meanwhile``: another op runs whole while the op waits at a point, recorded in the case;
then the op goes on, or is SIGKILLed at a later point. ``Steps.run`` records its ``value``."""

from __future__ import annotations

import pytest

from harness.checkers import Check, register
from harness.checkers.registry import CHECKERS
from harness.crash import Meanwhile, Steps, explore_points
from harness.history import History, OpType
from harness.verdict import Verdict
from tests.core import ops


@pytest.fixture
def seen_check():
    @register("test.meanwhile_ok")
    def ok(history: History) -> Verdict:
        return Verdict.ok("test.meanwhile_ok", "judged")

    yield [Check("test.meanwhile_ok")]
    CHECKERS.remove("test.meanwhile_ok")


def other(steps: Steps) -> None:
    steps.run("b", lambda: "b-done", f="put", value={"request": "r1"})


def _ops(history: History) -> list[tuple[str, str, str]]:
    return [(op.process, op.type.value, op.f) for op in history]


def test_meanwhile_runs_the_other_op_at_the_point_then_kills_later(seen_check):
    cases = explore_points(
        None,
        op=lambda facts, link: ops.three_points,
        faults=[Meanwhile(other, kill_at={"t.a": "t.c"})],
        points=["t.a", "t.b"],
        checks=seen_check,
        baseline=False,
    )
    at_a, at_b = cases
    assert at_a.case_id == "meanwhile@t.a" and at_a.valid
    assert at_a.run.killed_at == "t.c" and at_a.run.paused_at == ["t.a"]
    # b ran whole while the child waited at t.a, recorded in the case, its value kept
    b_ops = [op for op in at_a.history if op.process == "b"]
    assert [(op.type, op.value) for op in b_ops] == [
        (OpType.INVOKE, {"request": "r1"}),
        (OpType.OK, "b-done"),
    ]
    assert ("nemesis", "info", "kill") in _ops(at_a.history)
    # no later point for t.b: the op goes on and returns
    assert at_b.run.killed_at is None and at_b.run.value == 42


def test_steps_run_records_a_failure_with_its_value():
    h = History()
    steps = Steps(h)

    def refuse() -> None:
        raise ValueError("workspace_id must be a non-empty string")

    assert (
        steps.run("c", refuse, f="enqueue", value={"request": "r"}, fail_on=(ValueError,)) is None
    )
    inv, done = list(h)
    assert inv.value == {"request": "r"} and done.type is OpType.FAIL
    assert done.error == "ValueError: workspace_id must be a non-empty string"


def test_meanwhile_is_armed_by_the_explorer_only():
    with pytest.raises(TypeError, match="arm_in"):
        Meanwhile(other).arm("t.a")


def test_a_fault_that_ends_no_client_is_recorded_without_a_wait():
    h = History()
    done: list[str] = []
    op = Steps(h).fault("wrongtype", lambda: done.append("planted"), ends_clients=False, key="k")
    assert done == ["planted"] and op.f == "wrongtype"
    assert op.value["key"] == "k" and "took_s" in op.value and "landed_s" not in op.value

"""Toy scenarios: each records real histories and verdicts, with no server behind them."""

import os
import threading
from pathlib import Path

import pytest

from harness.history import History
from harness.scenario import ScenarioContext, scenario
from harness.verdict import Verdict


def _race(ctx: ScenarioContext, schedule: int) -> History:
    h = History()
    a = h.invoke("p1", "incr", 1)
    b = h.invoke("p2", "incr", 1)
    h.ok(a, 1)
    lost = ctx.variant == "prefix" and schedule == 1
    h.ok(b, 1 if lost else 2)
    r = h.invoke("p1", "read")
    h.ok(r, 1 if lost else 2)
    h.snapshot("counter", 1 if lost else 2)
    return h


@scenario("TOY-1", variants=("prefix", "fixed"))
def test_race_two_writers(ctx: ScenarioContext) -> None:
    """Two processes increment at once; the count must be 2."""
    schedules = [0, 1, 2]
    ctx.explored(schedules=len(schedules), processes=2)
    for s in schedules:
        case = f"schedule-{s}"
        if not ctx.selected(case):
            continue
        h = _race(ctx, s)
        final = h.snapshots["counter"]
        verdict = (
            Verdict.ok("no_lost_update", "count is 2", counter=final)
            if final == 2
            else Verdict.violated(
                "no_lost_update", "an increment was lost | count 1", counter=final, expected=2
            )
        )
        ctx.record(case, verdict, history=h, detail={"schedule": s})


@scenario("TOY-1", variants=("prefix", "fixed"))
def test_crash_every_step(ctx: ScenarioContext) -> None:
    """SIGKILL at each point of an increment; the value is old or new, never torn."""
    points = ["toy.incr.read", "toy.incr.write"]
    ctx.explored(crash_points=len(points), faults=["sigkill"])
    for p in points:
        case = f"crash@{p}"
        if not ctx.selected(case):
            continue
        h = History()
        op = h.invoke("p1", "incr", 1)
        h.fault("kill", {"signal": "SIGKILL", "at": p})
        torn = ctx.variant == "prefix" and p.endswith("write")
        h.snapshot("counter", "torn" if torn else 0)
        if torn:
            h.info(op, "process killed")
            v = Verdict.violated("old_or_new", "value is torn <after> crash", value="torn")
        else:
            v = Verdict.ok("old_or_new", "value is the old one", value=0)
        ctx.record(case, v, history=h, detail={"crash_point": p})


@scenario("TOY-2", variants=("prefix", "fixed"))
def test_never_flips(ctx: ScenarioContext) -> None:
    """A scenario that cannot catch the pre-fix code: the report must say so."""
    ctx.explored(reads=1)
    h = History()
    op = h.invoke("p1", "read")
    h.ok(op, 0)
    ctx.record("read", Verdict.ok("non_negative", "count 0 >= 0", count=0), history=h)


@scenario("TOY-3", variants=("prefix", "seed", "fixed"), measured=("seed",))
def test_retry_applies_once(ctx: ScenarioContext) -> None:
    """A write retried after a cut link is applied once."""
    ctx.explored(faults=["reset_peer"])
    h = History()
    op = h.invoke("p1", "write", "x")
    h.fault("reset_peer", {"after": "EXEC"})
    h.info(op, "connection reset")
    again = h.invoke("p1", "write", "x")
    copies = 1 if ctx.variant == "fixed" else 2
    h.ok(again, copies)
    v = (
        Verdict.ok("applied_once", "one copy", copies=copies)
        if copies == 1
        else Verdict.violated("applied_once", f"{copies} copies", copies=copies)
    )
    ctx.record(
        "retry-after-reset", v, history=h, detail={"edge_case": "retry after an uncertain outcome"}
    )


@pytest.mark.fix("TOY-2")
def test_plain_property() -> None:
    assert sum([1, 1]) == 2


@pytest.fixture
def broken_store() -> None:
    raise RuntimeError("toy store refused to start")


@scenario("TOY-5", variants=("prefix", "fixed"))
def test_fixture_breaks(ctx: ScenarioContext, broken_store: None) -> None:
    """Its fixture fails before any case: the report must show it as undecided."""


@scenario("TOY-1", variants=("prefix", "fixed"), measured=("prefix",))
def test_prefix_only_measured(ctx: ScenarioContext) -> None:
    """Here the pre-fix variant is only measured: its cell is marked, it never gates."""
    h = History()
    h.ok(h.invoke("p1", "incr", 1), 1)
    ctx.record("single", Verdict.ok("counted", "count 1", count=1), history=h)


@scenario("TOY-6", variants=("fixed",))
def test_blocks_when_asked(ctx: ScenarioContext) -> None:
    """Passes at once, unless TOY_BLOCK names a file: then it says so there and waits (to be
    interrupted by the test of the audit's own interruption)."""
    marker = os.environ.get("TOY_BLOCK")
    if marker:
        Path(marker).write_text(str(os.getpid()))
        threading.Event().wait()  # until the run is stopped from outside
    ctx.record("quick", Verdict.ok("done", "nothing to wait for"))

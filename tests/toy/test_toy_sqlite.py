"""Proof on the SQLite toy: the crash runner finds the crash window, the scheduler the race."""

from __future__ import annotations

import functools

import pytest

from harness.checkers import check
from harness.crash.explore import explore_crashes
from harness.history import History
from harness.races import (
    discover_steps,
    explore_schedules,
    find_failing_schedule,
    hammer,
    make_detector,
    run_schedule,
)
from harness.verdict import Validity
from tests.toy import sqlite_toy as toy


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "toy.db")
    toy.reset(path)
    return path


def orphan_check(db):
    def check_run(run):
        run.history.snapshot("after", toy.tables(db))
        return check("no_orphans", run.history, relations=["order_items(order_id) -> orders(id)"])

    return check_run


def claimers(db, variant, n=2):
    return {name: functools.partial(toy.claim, db, variant) for name in "ab"[:n]}


def claimed_once(run):
    return check("at_most_once", run.history, f="claim")


# --- the crash window --------------------------------------------------------


def test_exhaustive_crashes_find_the_window_in_the_racy_order(db):
    cases = explore_crashes(
        functools.partial(toy.place_order, db, "racy"),
        setup=lambda: toy.reset(db),
        check=orphan_check(db),
    )
    verdicts = {c.case_id: c.verdict.validity for c in cases}
    assert verdicts == {
        "no-crash": Validity.VALID,
        "crash@toy.order.after_items": Validity.INVALID,  # the window: items, no order
        "crash@toy.order.after_order": Validity.VALID,
    }
    window = next(c for c in cases if c.verdict.validity is Validity.INVALID)
    assert "2 orphan row(s)" in window.verdict.summary


def test_exhaustive_crashes_pass_the_fixed_order(db):
    cases = explore_crashes(
        functools.partial(toy.place_order, db, "fixed"),
        setup=lambda: toy.reset(db),
        check=orphan_check(db),
    )
    assert [c.case_id for c in cases] == [
        "no-crash",
        "crash@toy.order.after_items",
        "crash@toy.order.after_order",
    ]
    assert all(c.valid for c in cases), [c.verdict.summary for c in cases]


def test_recovery_runs_after_each_crash_and_is_checked_again(db):
    def repair() -> None:  # a recovery that deletes orphan items
        conn = toy.connect(db)
        conn.execute("DELETE FROM order_items WHERE order_id NOT IN (SELECT id FROM orders)")
        conn.close()

    cases = explore_crashes(
        functools.partial(toy.place_order, db, "racy"),
        setup=lambda: toy.reset(db),
        check=orphan_check(db),
        recover=repair,
    )
    window = next(c for c in cases if c.point == "toy.order.after_items")
    stages = [(p["checker"], p["validity"]) for p in window.verdict.evidence["parts"]]
    assert stages == [("after-run:no_orphans", "invalid"), ("after-recovery:no_orphans", "valid")]


# --- the race ----------------------------------------------------------------


def test_the_scheduler_finds_the_race_in_every_interleaving_that_has_it(db):
    steps = discover_steps(claimers(db, "racy"), setup=lambda: toy.reset(db))
    assert steps == {"a": 2, "b": 2}
    cases = explore_schedules(
        claimers(db, "racy"), check=claimed_once, setup=lambda: toy.reset(db), steps=steps
    )
    failing = sorted(str(c.schedule) for c in cases if c.verdict.validity is Validity.INVALID)
    # both select before either updates: exactly the four overlapping interleavings
    assert failing == ["a,b,a,b", "a,b,b,a", "b,a,a,b", "b,a,b,a"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hypothesis_finds_and_shrinks_the_race_for_every_seed(db, seed):
    found = find_failing_schedule(
        claimers(db, "racy"),
        check=claimed_once,
        setup=lambda: toy.reset(db),
        steps={"a": 2, "b": 2},
        seed=seed,
        max_examples=30,
    )
    assert found.failing is not None
    assert str(found.failing.schedule) == "a,b,a,b"  # minimal: the first switch that loses
    assert found.failing.verdict.validity is Validity.INVALID
    assert "start -> toy.claim.after_select" in found.failing.run.program()


def test_the_fixed_claim_blocks_on_sqlite_busy_lock_and_the_schedule_moves_on(db):
    run = run_schedule(claimers(db, "fixed"), "a,b,a,b", blocking=make_detector("sqlite"))
    assert run.program().splitlines() == [
        "schedule a,b,a,b",
        "  1  a        start -> toy.claim.after_select",
        "  2  b        start -> blocked",
        "  3  a        toy.claim.after_select -> done: ok 1",
        "     b        start -> toy.claim.after_select  (woke)",
        "  4  b        toy.claim.after_select -> done: ok None",
    ]


def test_every_schedule_of_the_fixed_claim_passes(db):
    cases = explore_schedules(
        claimers(db, "fixed"),
        check=claimed_once,
        setup=lambda: toy.reset(db),
        steps={"a": 2, "b": 2},
        blocking=make_detector("sqlite"),
    )
    assert len(cases) == 6 and all(c.verdict.valid for c in cases)


def test_hammering_records_a_checkable_history(db):
    toy.reset(db, jobs=20)
    history: History = hammer(
        functools.partial(toy.claim_many, db, "fixed"), seed=3, processes=3, ops=4, f="claim"
    )
    oks = [o for o in history if o.type.value == "ok"]
    assert len(oks) == 12
    assert check("at_most_once", history, f="claim").valid

"""Proof on the PostgreSQL toy: a real SIGKILL mid-transaction, the race, and a row lock
detected as PostgreSQL's isolation tester detects it."""

from __future__ import annotations

import functools

import pytest

from harness.checkers import check
from harness.crash.explore import explore_crashes
from harness.races import (
    explore_schedules,
    find_failing_schedule,
    hammer,
    make_detector,
    run_schedule,
)
from harness.verdict import Validity
from tests.toy import pg_toy as toy


@pytest.fixture
def dsn(request):
    try:
        pg_db = request.getfixturevalue("pg_db")
    except pytest.FixtureLookupError:
        pytest.skip("no pg_db fixture in this tree (harness/fixtures/servers.py)")
    toy.reset(pg_db.dsn)
    return pg_db.dsn


@pytest.fixture
def pg_blocking(dsn):
    detector = make_detector("postgres", dsn=dsn)
    yield detector
    detector.close()


def claimers(dsn, variant):
    return {name: functools.partial(toy.claim, dsn, variant) for name in "ab"}


def claimed_once(run):
    return check("at_most_once", run.history, f="claim")


def orphans(dsn):
    def check_run(run):
        run.history.snapshot("after", toy.tables(dsn))
        return check("no_orphans", run.history, relations=["order_items(order_id) -> orders(id)"])

    return check_run


@pytest.mark.parametrize(
    ("variant", "invalid"), [("racy", ["crash@toy.order.after_items"]), ("fixed", [])]
)
def test_exhaustive_crashes_find_exactly_the_window(dsn, variant, invalid):
    cases = explore_crashes(
        functools.partial(toy.place_order, dsn, variant),
        setup=lambda: toy.reset(dsn),
        check=orphans(dsn),
    )
    assert len(cases) == 3
    assert [c.case_id for c in cases if c.verdict.validity is Validity.INVALID] == invalid
    assert all(c.verdict.validity is not Validity.UNKNOWN for c in cases)


def test_the_scheduler_finds_the_race_in_every_overlapping_interleaving(dsn):
    cases = explore_schedules(
        claimers(dsn, "racy"),
        check=claimed_once,
        setup=lambda: toy.reset(dsn),
        steps={"a": 2, "b": 2},
    )
    failing = sorted(str(c.schedule) for c in cases if c.verdict.validity is Validity.INVALID)
    assert failing == ["a,b,a,b", "a,b,b,a", "b,a,a,b", "b,a,b,a"]


@pytest.mark.parametrize("seed", [0, 1])
def test_hypothesis_shrinks_the_race_to_the_minimal_schedule(dsn, seed):
    found = find_failing_schedule(
        claimers(dsn, "racy"),
        check=claimed_once,
        setup=lambda: toy.reset(dsn),
        steps={"a": 2, "b": 2},
        seed=seed,
        max_examples=30,
    )
    assert found.failing is not None and str(found.failing.schedule) == "a,b,a,b"


def test_a_row_lock_is_detected_and_the_schedule_moves_on(dsn, pg_blocking):
    run = run_schedule(claimers(dsn, "for_update"), "a,b,a,b", blocking=pg_blocking)
    assert run.program().splitlines() == [
        "schedule a,b,a,b",
        "  1  a        start -> toy.claim.after_select",
        "  2  b        start -> blocked",
        "  3  a        toy.claim.after_select -> done: ok 1",
        "     b        start -> toy.claim.after_select  (woke)",
        "  4  b        toy.claim.after_select -> done: ok None",
    ]
    assert claimed_once(run).valid


def test_skip_locked_never_blocks(dsn, pg_blocking):
    toy.reset(dsn, jobs=2)
    run = run_schedule(claimers(dsn, "fixed"), "a,b,a,b", blocking=pg_blocking)
    assert run.blocked_steps == 0
    assert {n: r.value for n, r in run.results.items()} == {"a": 1, "b": 2}


def test_every_schedule_of_the_locking_variants_passes(dsn, pg_blocking):
    for variant in ("for_update", "fixed"):
        cases = explore_schedules(
            claimers(dsn, variant),
            check=claimed_once,
            setup=lambda: toy.reset(dsn),
            steps={"a": 2, "b": 2},
            blocking=pg_blocking,
        )
        assert len(cases) == 6 and all(c.verdict.valid for c in cases), variant


def test_hammering_the_fixed_claim_delivers_each_job_once(dsn):
    toy.reset(dsn, jobs=30)
    history = hammer(
        functools.partial(toy.claim_many, dsn, "fixed"), seed=5, processes=4, ops=6, f="claim"
    )
    assert sum(1 for o in history if o.type.value == "ok") == 24
    assert check("at_most_once", history, f="claim").valid


@pytest.mark.parametrize(("variant", "orphans"), [("racy", 2), ("fixed", 0)])
def test_server_killed_at_a_point_then_restarted(dsn, pg_server, variant, orphans):
    """The action at a point may be the database's own crash: kill -9 the server while
    the client waits between its INSERTs and COMMIT, restart it, look at what survived."""
    if not pg_server.owned:
        pytest.skip("the harness kills only servers it started")
    from harness.crash import Outcome, run_case

    case = run_case(
        functools.partial(toy.place_order, dsn, variant),
        pause_at={"toy.order.after_items": pg_server.kill},
    )
    pg_server.restart()
    assert case.outcome is Outcome.INFO  # the connection died under it
    state = toy.tables(dsn)
    assert len(state["order_items"]) == orphans and state["orders"] == []


def test_the_detector_survives_the_database_being_cloned_again_under_it(pg_database_factory):
    """A reset by re-cloning ends every session on the database, the detector's too."""
    db = pg_database_factory("toy-blocking", toy.reset)
    detector = make_detector("postgres", dsn=db.dsn)
    try:
        toy.reset(db.dsn)
        run_schedule(claimers(db.dsn, "for_update"), "a,b,a,b", blocking=detector)
        db = pg_database_factory("toy-blocking", toy.reset)  # drop + clone: sessions ended
        toy.reset(db.dsn)
        run = run_schedule(claimers(db.dsn, "for_update"), "a,b,a,b", blocking=detector)
        assert run.blocked_steps == 1
    finally:
        detector.close()

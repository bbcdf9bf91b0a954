"""Faults at a point, through the fault proxy: "cut the link after the INSERTs, before
COMMIT" and "COMMIT sent, reply lost", each one line of ``pause_at``."""

from __future__ import annotations

import functools

import pytest
from psycopg.conninfo import make_conninfo

from harness.checkers import check
from harness.crash import Outcome, explore_faults, run_case
from harness.history import NEMESIS
from harness.verdict import Validity
from tests.toy import pg_toy as toy


@pytest.fixture
def link_dsn(request):
    """(direct DSN, DSN through a proxy link, the link) for a fresh toy database."""
    try:
        pg_db = request.getfixturevalue("pg_db")
        proxied = request.getfixturevalue("proxied")
    except pytest.FixtureLookupError:
        pytest.skip("needs the pg_db and proxied fixtures")
    toy.reset(pg_db.dsn)
    link = proxied(pg_db.host, pg_db.port)
    return pg_db.dsn, make_conninfo(pg_db.dsn, host=link.host, port=link.port), link


def orphans(dsn):
    def check_run(run):
        run.history.snapshot("after", toy.tables(dsn))
        return check("no_orphans", run.history, relations=["order_items(order_id) -> orders(id)"])

    return check_run


def test_cut_after_the_inserts_before_commit_loses_the_whole_transaction(link_dsn):
    direct, via, link = link_dsn
    run = run_case(
        functools.partial(toy.place_order, via, "fixed"),
        pause_at={"toy.order.after_order": link.cut},  # after the INSERTs, before COMMIT
    )
    link.restore()
    assert run.outcome is Outcome.INFO  # the client cannot know: unknown, not failed
    assert [(o.f, o.value["at"]) for o in run.history if o.process == NEMESIS] == [
        ("Link.cut", "toy.order.after_order")
    ]
    assert toy.tables(direct)["orders"] == [] and toy.tables(direct)["order_items"] == []


def test_commit_sent_reply_lost_is_info_yet_took_effect(link_dsn):
    direct, via, link = link_dsn
    run = run_case(
        functools.partial(toy.place_order, via, "fixed"),
        pause_at={"toy.order.after_order": link.blackhole},  # COMMIT goes, its reply does not
        timeout_s=1.0,
    )
    link.clear()
    assert run.outcome is Outcome.INFO and run.timed_out
    assert toy.tables(direct)["orders"] == [{"id": 1}]  # it did commit


@pytest.mark.parametrize(
    ("variant", "invalid"), [("racy", ["cut@toy.order.after_items"]), ("fixed", [])]
)
def test_a_cut_link_at_every_point(link_dsn, variant, invalid):
    direct, via, link = link_dsn
    cases = explore_faults(
        functools.partial(toy.place_order, via, variant),
        link.cut,
        restore=link.restore,
        setup=lambda: toy.reset(direct),
        check=orphans(direct),
    )
    assert [c.case_id for c in cases] == [
        "no-crash",
        "cut@toy.order.after_items",
        "cut@toy.order.after_order",
    ]
    assert [c.case_id for c in cases if c.verdict.validity is Validity.INVALID] == invalid

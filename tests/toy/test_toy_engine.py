"""The engine on the toy: faults at points, a fresh state per case, recovery recorded,
registered checks judging the record (and judging it again from JSON, with no server)."""

from __future__ import annotations

import functools

import pytest

from harness.checkers import Check
from harness.checkers.judge import judge
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, NO_FAULT, Cut, Kill, explore_points, through
from harness.errors import ConfigError
from harness.history import History
from harness.scenario import ScenarioContext, ScenarioSpec
from harness.verdict import Validity
from tests.toy import pg_toy as toy

NO_ORPHAN_ITEMS = Check(
    "no_orphans", relations=["order_items(order_id) -> orders(id)"], snapshot=AFTER_FAULT
)


@pytest.fixture
def dsn(pg_db):
    toy.reset(pg_db.dsn)
    return pg_db.dsn


def _plan(dsn: str, variant: str):
    def reset() -> dict:
        toy.reset(dsn)
        return {"order": 1}

    def op(facts, link):
        return functools.partial(toy.place_order, through(dsn, link), variant, facts["order"])

    return {"op": op, "reset": reset, "snapshot": lambda: toy.tables(dsn)}


@pytest.mark.parametrize(
    ("variant", "invalid"),
    [("racy", ["crash@toy.order.after_items", "cut@toy.order.after_items"]), ("fixed", [])],
)
def test_kill_and_cut_at_every_point_with_a_baseline(dsn, proxied, pg_server, variant, invalid):
    link = proxied(pg_server.host, pg_server.port)
    cases = explore_points(
        None, faults=[Kill(), Cut(link)], checks=[NO_ORPHAN_ITEMS], **_plan(dsn, variant)
    )
    ids = [c.case_id for c in cases]
    assert ids[0] == NO_FAULT and len(ids) == 1 + 2 * 2
    assert [c.case_id for c in cases if c.verdict.validity is Validity.INVALID] == invalid
    assert all(c.verdict.validity is not Validity.UNKNOWN for c in cases)
    # The record holds what the checks judged: re-judged from JSON, the same verdicts.
    for case in cases:
        again = History.from_json(case.history.to_json())
        assert judge(case.case_id, again, [NO_ORPHAN_ITEMS]) == case.verdict


def test_recovery_steps_are_recorded_and_judged_after(dsn):
    def recover(steps) -> None:
        steps.run("janitor", functools.partial(toy.reset, dsn))

    checks = [
        NO_ORPHAN_ITEMS,
        Check("no_orphans", relations=NO_ORPHAN_ITEMS.params["relations"], snapshot=AFTER_RECOVERY),
    ]
    cases = explore_points(None, checks=checks, recover=recover, **_plan(dsn, "racy"))
    bad = next(c for c in cases if c.case_id == "crash@toy.order.after_items")
    assert [op.process for op in bad.history if op.f == "reset"] == ["janitor", "janitor"]
    parts = bad.verdict.evidence["parts"]
    assert [p["validity"] for p in parts] == ["invalid", "valid"]


def test_a_broken_check_makes_its_cases_unknown_not_the_run(dsn):
    broken = Check("no_orphans", relations=["nosuch(x) -> orders(id)"], snapshot="nowhere")
    cases = explore_points(None, checks=[broken], **_plan(dsn, "fixed"))
    assert {c.verdict.validity for c in cases} == {Validity.UNKNOWN}


def test_a_point_the_op_never_passes_is_an_error_naming_those_it_does(dsn):
    with pytest.raises(ConfigError, match=r"toy\.order\.after_item'.*never passed.*after_items"):
        explore_points(
            None, checks=[NO_ORPHAN_ITEMS], points=["toy.order.after_item"], **_plan(dsn, "fixed")
        )


def test_with_a_scenario_context_each_case_is_recorded_with_its_checks(dsn):
    ctx = ScenarioContext(ScenarioSpec("TOY-1", "orders", ("racy", "fixed")), "racy", 7)
    explore_points(ctx, checks=[NO_ORPHAN_ITEMS], **_plan(dsn, "racy"))
    case = ctx.result.cases[1]
    assert case.detail["checks"] == [NO_ORPHAN_ITEMS.to_json()]
    assert case.history is not None and AFTER_FAULT in case.history.snapshots
    assert ctx.result.explored["crash_points"] == 2

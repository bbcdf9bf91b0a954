"""Power-loss states judged by registered checkers on their records, as the crash
explorer's cases are: each recorded case keeps its history (the recovered view as
``after_power``, the state's facts) and its checks, so ``harness report --recheck``
judges a stored run again with no server and gives the same verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.audit.recheck import recheck
from harness.checkers import Check
from harness.disk import AFTER_POWER, Recording, explore
from harness.errors import ConfigError
from harness.scenario import ScenarioContext, ScenarioResult, ScenarioSpec
from harness.verdict import Validity
from tests.disk import writers
from tests.disk.conftest import record_writer

ACKED = [Check("acked_recovered", field="ok")]


def _ok_labels(path: Path) -> dict[str, Any]:
    entries = writers.read_queue(path)
    return {"ok": sorted(k for k, v in entries.items() if v == "ok"), "entries": entries}


def _refuses_torn(path: Path) -> dict[str, Any]:
    """A recovery that cannot come back from a torn entry (a corrupt-database stand-in)."""
    view = _ok_labels(path)
    if "torn" in view["entries"].values():
        raise ValueError("torn entry")
    return view


@pytest.fixture(scope="module")
def fsynced(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    return record_writer(tmp_path_factory.mktemp("fsync"), writers.fsync_file_only)


def _stored(ctx: ScenarioContext) -> list[ScenarioResult]:
    """The run as ``results.json`` stores it, read back."""
    data = json.loads(json.dumps(ctx.finish().to_json(), default=str))
    return [ScenarioResult.from_json(data)]


def _ctx(variant: str = "prefix") -> ScenarioContext:
    return ScenarioContext(ScenarioSpec("DSK-1", "power_records", ("prefix",)), variant, 7)


def test_failing_states_are_recorded_with_their_record_and_recheck_identically(
    fsynced: Recording,
) -> None:
    ctx = _ctx()
    result = explore(
        fsynced.trace,
        recover=_ok_labels,
        checks=ACKED,
        facts={"writer": "fsync_file_only"},
        models=("weakest", "ext4-ordered"),
        ctx=ctx,
    )
    assert result.failing_under("weakest") and not result.failing_under("ext4-ordered")
    stored = _stored(ctx)
    failing = [c for c in stored[0].cases if c.case_id.count(":") >= 2]
    case = failing[0]
    assert case.history is not None and case.detail["checks"] == [c.to_json() for c in ACKED]
    facts = case.history.meta["facts"]
    assert facts["writer"] == "fsync_file_only" and facts["model"] == "weakest"
    assert facts["state"] == case.case_id.split(":", 2)[2]
    assert facts["acked"] == case.detail["acked"]
    outcome, rejudged = recheck(stored)
    assert outcome.changed == [], outcome.changed[:3]
    # every failing state is rechecked, and the VALID case of ext4-ordered from its packed states
    assert outcome.rechecked == len(failing) + 1 and outcome.kept == 0, outcome.summary()
    assert [c.verdict for c in rejudged[0].cases] == [c.verdict for c in stored[0].cases]


def test_the_valid_case_of_a_model_is_judged_again_state_by_state(fsynced: Recording) -> None:
    ctx = _ctx()
    result = explore(
        fsynced.trace, recover=_ok_labels, checks=ACKED, models=("ext4-ordered",), ctx=ctx
    )
    stored = _stored(ctx)
    (case,) = stored[0].cases
    assert case.case_id == "power:ext4-ordered" and case.verdict.valid
    packed = case.detail["power_states"]
    assert len(packed["states"]) == result.built() and len(packed["views"]) < result.images
    outcome, _ = recheck(stored)
    assert outcome.rechecked == 1 and outcome.changed == [], outcome.summary()
    # a state whose record no longer supports the verdict: an acknowledged label it lost
    packed["states"][-1][1] = [*packed["states"][-1][1], "99"]
    outcome, rejudged = recheck(stored)
    assert len(outcome.changed) == 1
    assert "1 acknowledged entry lost: 99" in rejudged[0].cases[0].verdict.summary


def test_a_recovery_that_raises_is_invalid_and_rechecks_identically(fsynced: Recording) -> None:
    ctx = _ctx()
    result = explore(fsynced.trace, recover=_refuses_torn, checks=ACKED, ctx=ctx)
    recovery = [r for r in result.failing if r.run_parts]
    assert recovery, "some state tears an entry: its recovery raises"
    assert all(r.verdict.validity is Validity.INVALID for r in recovery)
    assert "recovery failed on this state: ValueError: torn entry" in recovery[0].verdict.summary
    history = recovery[0].history
    assert history is not None and AFTER_POWER not in history.snapshots
    outcome, _ = recheck(_stored(ctx))
    assert outcome.changed == [] and outcome.kept == 0, outcome.summary()


def test_a_record_that_no_longer_supports_its_verdict_is_found(fsynced: Recording) -> None:
    ctx = _ctx()
    explore(fsynced.trace, recover=_ok_labels, checks=ACKED, ctx=ctx)
    stored = _stored(ctx)
    case = stored[0].cases[0]
    assert case.history is not None
    case.history.meta["facts"]["acked"] = []  # nothing acknowledged: nothing can be lost
    outcome, _ = recheck(stored)
    assert [ref for ref, _, _ in outcome.changed] == [stored[0].replay(case.case_id)]


def test_a_check_that_raises_is_unknown_never_a_pass(fsynced: Recording) -> None:
    result = explore(
        fsynced.trace, recover=_ok_labels, checks=[Check("acked_recovered", field="nosuch")]
    )
    assert result.results and all(r.verdict.validity is Validity.UNKNOWN for r in result.results)
    history = result.results[0].history
    assert history is not None and AFTER_POWER in history.snapshots


def test_exactly_one_way_of_judging(fsynced: Recording) -> None:
    with pytest.raises(ConfigError, match="exactly one"):
        explore(fsynced.trace, recover=_ok_labels)
    with pytest.raises(ConfigError, match="exactly one"):
        explore(fsynced.trace, recover=_ok_labels, checks=ACKED, check=lambda state, view: None)
    with pytest.raises(ConfigError, match="no parameter"):
        explore(fsynced.trace, recover=_ok_labels, checks=[Check("acked_recovered", nope=1)])

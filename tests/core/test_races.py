"""Schedules: enumeration, serialization, the Hypothesis strategy, and exact execution order."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings

from harness.crash.runner import Outcome
from harness.errors import ConfigError
from harness.history import OpType
from harness.races import (
    Schedule,
    count_interleavings,
    enumerate_schedules,
    hammer,
    run_schedule,
    schedules,
)
from tests.core import race_ops
from tests.core.conftest import gone

# --- schedules, pure -------------------------------------------------------


def test_schedule_round_trips_through_its_string():
    s = Schedule.parse("a, b,a b")
    assert str(s) == "a,b,a,b" and Schedule.parse(str(s)) == s


@pytest.mark.parametrize("bad", ["a;b", "a,b c-d", "é"])
def test_bad_schedule_text_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="must be letters, digits or _"):
        Schedule.parse(bad)


def test_enumeration_is_every_interleaving_once_in_a_fixed_order():
    all_ = [str(s) for s in enumerate_schedules({"a": 2, "b": 2})]
    assert all_ == ["a,a,b,b", "a,b,a,b", "a,b,b,a", "b,a,a,b", "b,a,b,a", "b,b,a,a"]
    assert (
        len(list(enumerate_schedules({"a": 3, "b": 2, "c": 2})))
        == count_interleavings({"a": 3, "b": 2, "c": 2})
        == 210
    )


def test_enumeration_bounds_preemptions_and_count():
    steps = {"a": 3, "b": 3}
    bounded = list(enumerate_schedules(steps, max_preemptions=1))
    assert all(s.preemptions(steps) <= 1 for s in bounded)
    assert [str(s) for s in bounded][:3] == ["a,a,a,b,b,b", "a,a,b,b,b,a", "a,b,b,b,a,a"]
    assert len(list(enumerate_schedules(steps, limit=4))) == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": {}}, "must map each worker"),
        ({"steps": {"a": 0}}, "at least 1 step"),
        ({"steps": {"a": 1}, "max_preemptions": -1}, "max_preemptions"),
        ({"steps": {"a": 1}, "limit": 0}, "limit must be"),
    ],
)
def test_enumeration_bad_input(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        list(enumerate_schedules(**kwargs))


@settings(derandomize=True, database=None, max_examples=50)
@given(schedules({"a": 2, "b": 3, "c": 1}))
def test_strategy_draws_complete_interleavings(s):
    assert sorted(s.steps) == ["a", "a", "b", "b", "b", "c"]


# --- executing a schedule ----------------------------------------------------


def workers(path, points=1):
    return {n: functools.partial(race_ops.append_steps, path, n, points) for n in ("a", "b")}


def lines(path):
    with open(path) as fh:
        return fh.read().split()


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("a,a,b,b", ["a0", "aend", "b0", "bend"]),
        ("b,a,a,b", ["b0", "a0", "aend", "bend"]),
        ("a,b,b,a", ["a0", "b0", "bend", "aend"]),
    ],
)
def test_steps_run_exactly_in_schedule_order(tmp_path, any_spawner, schedule, expected):
    path = str(tmp_path / "log")
    run = run_schedule(workers(path), schedule, spawner=any_spawner)
    assert lines(path) == expected
    assert {n: r.outcome for n, r in run.results.items()} == {"a": Outcome.OK, "b": Outcome.OK}
    assert [(o.process, o.type) for o in run.history if o.type is not OpType.INVOKE] != []


def test_a_partial_schedule_is_drained_in_worker_order_and_extra_steps_skip(tmp_path):
    path = str(tmp_path / "log")
    run = run_schedule(workers(path), "b,b,b,b")
    assert lines(path) == ["b0", "bend", "a0", "aend"]
    kinds = [(r.kind, r.worker) for r in run.records]
    assert kinds == [
        ("step", "b"),
        ("step", "b"),
        ("skip", "b"),
        ("skip", "b"),
        ("drain", "a"),
        ("drain", "a"),
    ]
    assert "  3  b        skipped: done" in run.program()


def test_program_reads_as_the_steps_taken(tmp_path):
    run = run_schedule(workers(str(tmp_path / "log")), "a,b,a,b")
    assert run.program().splitlines() == [
        "schedule a,b,a,b",
        "  1  a        start -> w.step",
        "  2  b        start -> w.step",
        "  3  a        w.step -> done: ok 'a'",
        "  4  b        w.step -> done: ok 'b'",
    ]


def test_a_stuck_step_times_out_and_kills_every_worker(tmp_path):
    path = str(tmp_path / "log")
    ws = {"a": race_ops.stuck, "b": functools.partial(race_ops.append_steps, path, "b", 1)}
    run = run_schedule(ws, "a,a,b", step_timeout_s=0.3)
    assert run.timed_out and "TIMED OUT" in run.program()
    assert run.results["a"].outcome is None
    infos = [o for o in run.history if o.type is OpType.INFO and o.process == "a"]
    assert infos and infos[-1].error == "timed out under the schedule"


def test_a_worker_that_raises_ends_info(tmp_path):
    run = run_schedule({"a": race_ops.raises}, "a,a")
    assert run.results["a"].outcome is Outcome.INFO
    assert run.results["a"].error == "RuntimeError: worker broke"


def test_run_schedule_bad_input(tmp_path):
    ws = workers(str(tmp_path / "log"))
    with pytest.raises(ConfigError, match=r"names worker\(s\) c not in"):
        run_schedule(ws, "a,c")
    with pytest.raises(ConfigError, match="must map worker names"):
        run_schedule({}, "a")
    with pytest.raises(ConfigError, match="must be a callable"):
        run_schedule({"a": 1}, "a")  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="step_timeout_s"):
        run_schedule(ws, "a", step_timeout_s=0)


# --- hammering ----------------------------------------------------------------


def test_hammer_merges_every_process_and_replays_its_choices():
    h1 = hammer(race_ops.rolls, seed=7, processes=3, ops=5)
    h2 = hammer(race_ops.rolls, seed=7, processes=3, ops=5)
    oks = lambda h: sorted((o.process, o.value) for o in h if o.type is OpType.OK)  # noqa: E731
    assert len(oks(h1)) == 15 and oks(h1) == oks(h2)
    assert {o.process for o in h1} == {"h0", "h1", "h2"}
    assert h1.meta["hammer"] == {"seed": 7, "processes": 3, "ops": 5}
    assert oks(hammer(race_ops.rolls, seed=8, processes=3, ops=5)) != oks(h1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"processes": 0}, "processes must be"),
        ({"ops": "3"}, "ops must be"),
        ({"seed": None}, "seed must"),
    ],
)
def test_hammer_bad_input(kwargs, message):
    args = {"seed": 1, **kwargs}
    with pytest.raises(ConfigError, match=message):
        hammer(race_ops.rolls, **args)


def test_no_child_outlives_a_run(tmp_path):
    from harness.crash import spawn

    run = run_schedule(
        {**workers(str(tmp_path / "log")), "c": race_ops.stuck}, "a,c", step_timeout_s=0.5
    )
    assert not spawn._live
    assert all(r.pid and gone(r.pid) for r in run.results.values())


# --- exploring and replaying ---------------------------------------------------


def interleaved(path):
    """INVALID when b ran between a's two steps (a stand-in for a lost update)."""
    from harness.verdict import Verdict

    def check(run):
        got = lines(path)
        bad = got.index("a0") < got.index("b0") < got.index("aend")
        with open(path, "w"):
            pass
        return Verdict.violated("order", f"{got}") if bad else Verdict.ok("order", f"{got}")

    return check


def test_find_failing_schedule_shrinks_and_a_replay_reruns_only_that_schedule(tmp_path):
    from harness.races import find_failing_schedule
    from harness.scenario import ScenarioContext, ScenarioSpec

    path = str(tmp_path / "log")
    spec = ScenarioSpec("TOY-2", "interleave", ("prefix", "fixed"))
    ctx = ScenarioContext(spec, "prefix", seed=11)
    found = find_failing_schedule(workers(path), check=interleaved(path), seed=11, ctx=ctx)
    assert found.failing is not None and str(found.failing.schedule) == "a,b,a,b"
    assert found.tried >= 1 and found.shrunk_from
    assert [c.case_id for c in ctx.result.cases] == ["schedule:a,b,a,b"]
    assert ctx.result.cases[0].detail["program"].startswith("schedule a,b,a,b")

    replay = ScenarioContext(spec, "prefix", seed=11, only_case="schedule:a,b,a,b")
    again = find_failing_schedule(workers(path), check=interleaved(path), seed=11, ctx=replay)
    assert again.tried == 1 and again.failing is not None
    assert [c.case_id for c in replay.result.cases] == ["schedule:a,b,a,b"]


def test_explore_schedules_records_cases_and_replays_one(tmp_path):
    from harness.races import explore_schedules
    from harness.scenario import ScenarioContext, ScenarioSpec

    path = str(tmp_path / "log")
    spec = ScenarioSpec("TOY-2", "interleave", ("prefix", "fixed"))
    ctx = ScenarioContext(spec, "prefix", seed=1)
    cases = explore_schedules(workers(path), check=interleaved(path), ctx=ctx)
    assert len(cases) == 6 and ctx.result.explored["schedules"] == 6
    assert sorted(c.case_id for c in ctx.result.failing_cases()) == [
        "schedule:a,b,a,b",
        "schedule:a,b,b,a",
    ]
    replay = ScenarioContext(spec, "prefix", seed=1, only_case="schedule:a,b,b,a")
    explore_schedules(workers(path), check=interleaved(path), ctx=replay)
    assert [c.case_id for c in replay.result.cases] == ["schedule:a,b,b,a"]


def test_steps_bounded_by_chosen_points_only(tmp_path):
    from harness.races import discover_steps

    path = str(tmp_path / "log")
    ws = workers(path, points=2)  # points w.step, w.step#2
    assert discover_steps(ws) == {"a": 3, "b": 3}
    assert discover_steps(ws, points=["w.step#2"]) == {"a": 2, "b": 2}
    open(path, "w").close()
    run = run_schedule(ws, "a,b,a,b", points=["w.step#2"])
    assert lines(path) == ["a0", "a1", "b0", "b1", "aend", "bend"]
    assert run.results["a"].points == ["w.step", "w.step#2"]
    assert "  1  a        start -> w.step#2" in run.program()
    with pytest.raises(ConfigError, match="collection of crash point names"):
        run_schedule(ws, "a", points="w.step")


@pytest.fixture
def not_interleaved():
    """A registered checker of the record: INVALID when b ran between a's two steps (the
    ``final`` snapshot is the file's lines, in the order the steps ran)."""
    from harness.checkers.registry import CHECKERS, register
    from harness.verdict import Verdict

    @register("test.not_interleaved", example={})
    def check(history):
        """b never runs between a's steps."""
        got = history.snapshots["final"]
        if got.index("a0") < got.index("b0") < got.index("aend"):
            return Verdict.violated("test.not_interleaved", f"b ran inside a: {got}")
        return Verdict.ok("test.not_interleaved", f"{got}")

    yield "test.not_interleaved"
    CHECKERS.remove("test.not_interleaved")


def test_find_failing_schedule_judges_registered_checks_on_the_record(tmp_path, not_interleaved):
    """As explore_schedules: the minimal failure is a case with its record and checks, which
    a recheck judges again to the same verdict; a replay re-runs just that schedule."""
    import json

    from harness.audit.recheck import recheck
    from harness.checkers import Check
    from harness.races import find_failing_schedule
    from harness.scenario import ScenarioContext, ScenarioResult, ScenarioSpec

    path = str(tmp_path / "log")
    spec = ScenarioSpec("TOY-2", "interleave", ("prefix", "fixed"))
    kwargs = {
        "checks": [Check(not_interleaved)],
        "snapshot": lambda: lines(path),
        "setup": lambda: open(path, "w").close(),
        "seed": 11,
    }
    ctx = ScenarioContext(spec, "prefix", seed=11)
    found = find_failing_schedule(workers(path), ctx=ctx, **kwargs)
    assert found.failing is not None and str(found.failing.schedule) == "a,b,a,b"
    (case,) = ctx.result.cases
    assert case.detail["checks"] == [{"name": not_interleaved, "params": {}}]
    assert case.history is not None and case.history.snapshots["final"][:2] == ["a0", "b0"]
    stored = ScenarioResult.from_json(json.loads(json.dumps(ctx.finish().to_json())))
    outcome, _ = recheck([stored])
    assert outcome.rechecked == 1 and outcome.changed == [], outcome.summary()

    replay = ScenarioContext(spec, "prefix", seed=11, only_case="schedule:a,b,a,b")
    again = find_failing_schedule(workers(path), ctx=replay, **kwargs)
    assert again.tried == 1 and again.failing is not None
    assert replay.result.cases[0].detail["checks"] == case.detail["checks"]
    with pytest.raises(ConfigError, match="not both"):
        find_failing_schedule(workers(path), check=interleaved(path), **kwargs)

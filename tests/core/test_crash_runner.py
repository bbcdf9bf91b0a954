"""The crash runner against real children: SIGKILL at a point, pauses, timeouts, outcomes."""

from __future__ import annotations

import functools
import os
import sqlite3
import threading

import pytest

from harness.crash import Outcome, discover, run_case
from harness.errors import ConfigError
from harness.history import NEMESIS, OpType
from tests.core import ops
from tests.core.conftest import gone


def test_discover_lists_points_in_order_with_repeats_numbered(any_spawner):
    assert discover(ops.three_points, spawner=any_spawner) == ["t.a", "t.b", "t.b#2", "t.c"]


def test_run_without_faults_returns_the_value(any_spawner):
    run = run_case(ops.three_points, spawner=any_spawner)
    assert run.outcome is Outcome.OK and run.value == 42
    assert [(o.type, o.f, o.value) for o in run.history] == [
        (OpType.INVOKE, "three_points", None),
        (OpType.OK, "three_points", 42),
    ]
    assert gone(run.pid)


def test_kill_at_a_repeated_point_kills_there(any_spawner):
    run = run_case(ops.three_points, kill_at="t.b#2", spawner=any_spawner)
    assert run.outcome is Outcome.KILLED and run.killed_at == "t.b#2"
    assert run.points == ["t.a", "t.b", "t.b#2"]
    assert gone(run.pid)
    kinds = [(o.process, o.type, o.f) for o in run.history]
    assert kinds == [
        ("child", OpType.INVOKE, "three_points"),
        (NEMESIS, OpType.INFO, "kill"),
        ("child", OpType.INFO, "three_points"),  # killed: outcome unknown
    ]
    assert run.history.ops[-1].error == "killed at t.b#2"


def test_sigkill_mid_transaction_leaves_nothing_committed(tmp_path, any_spawner):
    db = str(tmp_path / "t.db")
    ops.create_db(db)
    run = run_case(
        functools.partial(ops.insert_in_tx, db), kill_at="t.before_commit", spawner=any_spawner
    )
    assert run.killed
    assert ops.count_rows(db) == 0
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert (
        run_case(functools.partial(ops.insert_in_tx, db), spawner=any_spawner).outcome is Outcome.OK
    )
    assert ops.count_rows(db) == 1


def test_pause_runs_the_action_while_the_child_waits_then_resumes(tmp_path, any_spawner):
    db = str(tmp_path / "t.db")
    ops.create_db(db)
    seen: list[int] = []

    def look() -> None:
        # The child holds its write transaction open at this point: nothing is visible yet.
        seen.append(ops.count_rows(db))

    run = run_case(
        functools.partial(ops.insert_in_tx, db),
        pause_at={"t.before_commit": look},
        spawner=any_spawner,
    )
    assert run.outcome is Outcome.OK and run.paused_at == ["t.before_commit"]
    assert seen == [0] and ops.count_rows(db) == 1
    faults = [o for o in run.history if o.process == NEMESIS]
    assert [(o.f, o.value["at"]) for o in faults] == [("look", "t.before_commit")]


def test_an_action_that_raises_kills_the_child_and_propagates(any_spawner):
    def broken() -> None:
        raise RuntimeError("proxy unreachable")

    with pytest.raises(RuntimeError, match="proxy unreachable"):
        run_case(ops.three_points, pause_at={"t.b": broken}, spawner=any_spawner)


def test_a_stuck_child_is_killed_and_reported_info(any_spawner):
    run = run_case(ops.sleeps_forever, timeout_s=0.3, spawner=any_spawner)
    assert run.outcome is Outcome.INFO and run.timed_out
    assert run.points == ["t.a"] and gone(run.pid)
    assert run.history.ops[-1].type is OpType.INFO


def test_outcomes_fail_versus_info(any_spawner):
    assert run_case(ops.raises_fail, spawner=any_spawner).outcome is Outcome.FAIL
    run = run_case(ops.raises_value_error, spawner=any_spawner)
    assert run.outcome is Outcome.INFO and run.error == "ValueError: bad thing"
    assert "Traceback" in (run.traceback or "")
    failed = run_case(ops.raises_value_error, fail_on=(ValueError,), spawner=any_spawner)
    assert failed.outcome is Outcome.FAIL


def test_child_never_runs_atexit_hooks(tmp_path, any_spawner):
    marker = tmp_path / "marker"
    run = run_case(functools.partial(ops.writes_at_exit, str(marker)), spawner=any_spawner)
    assert run.value == "done" and not marker.exists()


def test_an_unpicklable_return_value_arrives_as_its_repr(any_spawner):
    run = run_case(ops.returns_unpicklable, spawner=any_spawner)
    assert run.outcome is Outcome.OK and "lambda" in run.value


def test_ops_recorded_in_the_child_join_the_history(any_spawner):
    run = run_case(ops.records_two_ops, kill_at="t.get", record_as=None, spawner=any_spawner)
    assert [(o.type.value, o.f, o.value, o.error) for o in run.history if o.process == "child"] == [
        ("invoke", "put", 1, None),
        ("ok", "put", "stored", None),
        ("invoke", "get", 1, None),
        ("info", "get", None, "killed at t.get"),
    ]


def test_closures_over_picklable_values_run_in_the_zygote(tmp_path):
    db = str(tmp_path / "t.db")
    ops.create_db(db)
    run = run_case(lambda: ops.insert_in_tx(db), kill_at="t.before_commit")
    assert run.killed and ops.count_rows(db) == 0


def test_bad_input_is_a_one_line_config_error():
    with pytest.raises(ConfigError, match="both kill_at and in pause_at"):
        run_case(ops.three_points, kill_at="t.a", pause_at={"t.a": print})
    with pytest.raises(ConfigError, match="callable taking no arguments"):
        run_case("not an op")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="timeout_s must be > 0"):
        run_case(ops.three_points, timeout_s=0)
    with pytest.raises(ConfigError, match=r"pause_at\['t.a'\] must be a callable"):
        run_case(ops.three_points, pause_at={"t.a": 3})  # type: ignore[dict-item]
    lock = threading.Lock()
    with pytest.raises(ConfigError, match="cannot be sent to a child") as info:
        run_case(lambda: lock.acquire())
    assert "\n" not in str(info.value)


def test_unknown_spawn_method_lists_the_known_ones():
    from harness.crash import make_spawner
    from harness.errors import UnknownName

    with pytest.raises(UnknownName, match="known: fork, zygote"):
        make_spawner("vfork")


def test_explore_faults_pauses_at_each_point_and_restores(tmp_path):
    from harness.crash.explore import explore_faults
    from harness.verdict import Verdict

    acted: list[str] = []
    restored: list[int] = []

    def cut_link() -> None:
        acted.append("cut")

    cases = explore_faults(
        ops.three_points,
        cut_link,
        check=lambda run: Verdict.ok("c", f"paused at {run.paused_at}"),
        restore=lambda: restored.append(1),
    )
    assert [c.case_id for c in cases] == [
        "no-crash",
        "cut_link@t.a",
        "cut_link@t.b",
        "cut_link@t.b#2",
        "cut_link@t.c",
    ]
    assert acted == ["cut"] * 4 and restored == [1] * 4
    assert all(c.valid and c.run.outcome is Outcome.OK for c in cases)


def test_explore_with_a_scenario_context_records_each_case_and_replays_one():
    from harness.crash.explore import explore_crashes
    from harness.scenario import ScenarioContext, ScenarioSpec
    from harness.verdict import Verdict

    spec = ScenarioSpec("TOY-1", "crash_everywhere", ("prefix", "fixed"))
    ctx = ScenarioContext(spec, "fixed", seed=1)
    explore_crashes(ops.three_points, check=lambda run: Verdict.ok("c", "fine"), ctx=ctx)
    assert [c.case_id for c in ctx.result.cases] == [
        "no-crash",
        "crash@t.a",
        "crash@t.b",
        "crash@t.b#2",
        "crash@t.c",
    ]
    assert ctx.result.explored["crash_points"] == 4
    assert ctx.result.cases[2].detail["run"]["killed_at"] == "t.b"
    replay = ScenarioContext(spec, "fixed", seed=1, only_case="crash@t.b#2")
    explore_crashes(ops.three_points, check=lambda run: Verdict.ok("c", "fine"), ctx=replay)
    assert [c.case_id for c in replay.result.cases] == ["crash@t.b#2"]


def test_a_check_that_raises_makes_the_case_unknown():
    from harness.crash.explore import explore_crashes
    from harness.verdict import Validity

    def broken(run):
        raise KeyError("snapshot")

    cases = explore_crashes(ops.three_points, check=broken, points=["t.a"])
    assert [c.verdict.validity for c in cases] == [Validity.UNKNOWN, Validity.UNKNOWN]


def test_the_fork_server_is_tracked_and_its_children_die_with_it():
    import signal

    from harness import procs
    from harness.crash._child import Job
    from harness.crash.spawn import make_spawner

    spawner = make_spawner("zygote")
    try:
        child = spawner.spawn(Job(ops.sleeps_forever, stop=None))
        child.go()
        server = spawner.pid
        assert server is not None and (server, "crash-fork-server") in procs.tracked()
        os.kill(server, signal.SIGKILL)  # the server dies: PR_SET_PDEATHSIG takes the child
        assert child.wait_exit(5.0)
        child.close()
    finally:
        spawner.close()
    assert all(role != "crash-fork-server" or pid != server for pid, role in procs.tracked())
    # the next use starts a new server
    assert run_case(ops.three_points, spawner=spawner).value == 42
    spawner.close()


def test_children_see_the_environment_and_cwd_of_the_moment(any_spawner, monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_TEST_MARK", "now")
    monkeypatch.chdir(tmp_path)
    assert run_case(ops.environment, spawner=any_spawner).value == ("now", str(tmp_path))


def test_a_child_that_dies_without_reporting_is_info(any_spawner):
    run = run_case(ops.exits_abruptly, spawner=any_spawner)
    assert run.outcome is Outcome.INFO and run.points == ["t.a"]
    assert run.error == "child exited without reporting how the op ended"
    assert run.history.ops[-1].type is OpType.INFO


def test_start_returns_a_running_child_that_close_kills(any_spawner):
    from harness.crash.runner import start

    child = start(functools.partial(ops.serves_forever, 4321), spawner=any_spawner)
    try:
        invoke = child.channel.recv(10.0)
        assert invoke[:4] == ("op", "invoke", "listening", 4321)
        assert child.channel.recv(10.0)[:3] == ("op", "ok", "listening")
        assert child.channel.recv(0.2) is None  # its point is unarmed: no report, no pause
        assert child.alive()
    finally:
        child.close()
    assert gone(child.pid)


def test_start_refuses_a_non_callable():
    from harness.crash.runner import start

    with pytest.raises(ConfigError, match="callable"):
        start(42)  # type: ignore[arg-type]


def test_a_point_the_op_never_passes_is_an_error_listing_those_it_does(any_spawner):
    with pytest.raises(ConfigError, match=r"\['t\.x'\] never reached: the op passed \['t\.a'"):
        run_case(ops.three_points, kill_at="t.x", spawner=any_spawner)
    with pytest.raises(ConfigError, match=r"\['t\.y'\] never reached"):
        run_case(ops.three_points, pause_at={"t.y": lambda: None}, spawner=any_spawner)

"""The fault fixtures: runners bound to the session spawner, options validated."""

from __future__ import annotations

import pytest

from harness.crash import Outcome
from harness.crash.spawn import default_spawner
from harness.errors import ConfigError
from harness.fixtures.faults import CHILD_TIMEOUT, _timeout
from tests.core import ops, race_ops


def test_crash_runner_fixture_runs_cases(crash_runner, fault_spawner):
    assert default_spawner() is fault_spawner
    assert crash_runner.discover(ops.three_points) == ["t.a", "t.b", "t.b#2", "t.c"]
    assert crash_runner.run_case(ops.three_points, kill_at="t.c").outcome is Outcome.KILLED


def test_race_runner_fixture_runs_schedules(race_runner, tmp_path):
    import functools

    path = str(tmp_path / "log")
    ws = {n: functools.partial(race_ops.append_steps, path, n, 1) for n in "ab"}
    assert race_runner.discover_steps(ws) == {"a": 2, "b": 2}
    run = race_runner.run_schedule(ws, "b,a,a,b")
    assert run.results["b"].outcome is Outcome.OK


def test_child_timeout_option_must_be_positive(pytestconfig, monkeypatch):
    monkeypatch.setenv(CHILD_TIMEOUT.env, "soon")
    with pytest.raises(ConfigError, match="--harness-child-timeout must be a number"):
        _timeout(pytestconfig)
    monkeypatch.setenv(CHILD_TIMEOUT.env, "2.5")
    assert _timeout(pytestconfig) == 2.5

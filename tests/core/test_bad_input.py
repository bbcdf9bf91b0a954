"""Bad input to the public functions of crash/races: one-line HarnessErrors that say the fix."""

from __future__ import annotations

import pytest

from harness.crash.explore import explore_crashes, explore_faults
from harness.errors import ConfigError, HarnessError, UnknownName
from harness.races import Schedule, explore_schedules, find_failing_schedule, make_detector
from harness.races.blocking import detector_kinds
from harness.scenario import ScenarioContext, ScenarioSpec, _running, scenario
from harness.verdict import Validity, Verdict
from tests.core import ops, race_ops


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text and isinstance(exc.value, HarnessError)
    return text


def test_explore_needs_a_callable_check_and_fault():
    with pytest.raises(ConfigError, match="check must be a callable") as e:
        explore_crashes(ops.three_points, check="no_orphans")  # type: ignore[arg-type]
    one_line(e)
    with pytest.raises(ConfigError, match="fault must be a callable") as e:
        explore_faults(ops.three_points, "cut", check=lambda run: Verdict.ok("c", "x"))  # type: ignore[arg-type]
    one_line(e)


def test_a_point_the_op_does_not_reach_is_unknown_not_valid():
    cases = explore_crashes(
        ops.three_points, check=lambda run: Verdict.ok("c", "fine"), points=["t.nowhere"]
    )
    case = cases[-1]
    assert case.case_id == "crash@t.nowhere" and case.verdict.validity is Validity.UNKNOWN
    assert "did not reach t.nowhere" in case.verdict.summary


def test_schedule_parse_rejects_non_text():
    with pytest.raises(ConfigError, match="written like 'a,b,a'") as e:
        Schedule.parse(["a", "b"])  # type: ignore[arg-type]
    one_line(e)


def test_find_failing_schedule_max_examples():
    with pytest.raises(ConfigError, match="max_examples must be an integer >= 1") as e:
        find_failing_schedule(
            {"a": race_ops.rolls}, check=lambda run: Verdict.ok("c", "x"), seed=1, max_examples=0
        )
    one_line(e)


def test_detectors_unknown_kind_and_bad_dsn():
    assert detector_kinds() == ["postgres", "sqlite"]
    with pytest.raises(
        UnknownName, match="unknown blocking detector 'mysql'; known: postgres, sqlite"
    ):
        make_detector("mysql")
    with pytest.raises(ConfigError, match="needs the DSN") as e:
        make_detector("postgres", dsn="")
    one_line(e)


def test_explore_and_run_case_reject_malformed_points_and_hooks():
    from harness.crash import run_case

    ok = lambda run: Verdict.ok("c", "x")  # noqa: E731
    with pytest.raises(ConfigError, match="points must be a list") as e:
        explore_crashes(ops.three_points, check=ok, points="t.a")
    one_line(e)
    with pytest.raises(ConfigError, match="setup must be a callable"):
        explore_crashes(ops.three_points, check=ok, setup="reset")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="kill_at is a crash point name"):
        run_case(ops.three_points, kill_at=3)  # type: ignore[arg-type]


def test_a_misspelt_keyword_names_the_one_meant():
    with pytest.raises(
        ConfigError, match="no keyword argument 'kill_on'; did you mean 'kill_at'"
    ) as e:
        explore_crashes(ops.three_points, check=lambda run: Verdict.ok("c", "x"), kill_on="t.a")
    one_line(e)
    with pytest.raises(ConfigError, match="did you mean 'step_timeout_s'") as e:
        explore_schedules({"a": race_ops.stuck}, check=lambda run: None, step_timeout=1)
    one_line(e)


def test_a_scenario_test_without_ctx_is_refused_at_once():
    with pytest.raises(ConfigError, match=r"takes no 'ctx': write def test_x\(ctx, \.\.\.\)") as e:

        @scenario("TOY-1")
        def test_x(pg_db) -> None: ...

    one_line(e)


def test_an_explorer_inside_a_scenario_without_ctx_says_pass_ctx():
    context = ScenarioContext(ScenarioSpec("TOY-1", "orders", ("prefix", "fixed")), "fixed", 1)
    _running.append(context)
    try:
        with pytest.raises(ConfigError, match=r"without ctx=ctx inside scenario TOY-1/orders") as e:
            explore_crashes(ops.three_points, check=lambda run: Verdict.ok("c", "x"))
        one_line(e)
    finally:
        _running.remove(context)

"""Explore schedules: all of them (bounded), or Hypothesis's draw shrunk to a minimal failure.

steps = discover_steps(workers, setup=reset)            # {"a": 3, "b": 3}
cases = explore_schedules(workers, check=no_double_claim, setup=reset,
                          steps=steps, max_preemptions=2, ctx=ctx)
found = find_failing_schedule(workers, checks=[Check("no_lost_update")], snapshot=read_rows,
                              setup=reset, steps=steps, seed=ctx.seed, ctx=ctx)
print(found.run.program())                               # the minimal failing schedule
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.checkers.judge import Check as JudgeCheck
from harness.checkers.judge import checks_of, judged
from harness.checkers.safe import check_safe
from harness.crash.runner import run_case
from harness.crash.spawn import Spawner
from harness.errors import ConfigError, check_kwargs
from harness.races.blocking import BlockingDetector
from harness.races.schedule import Schedule, enumerate_schedules
from harness.races.scheduler import DEFAULT_STEP_TIMEOUT_S, ScheduleRun, run_schedule
from harness.scenario import Recorder, require_ctx
from harness.verdict import Validity, Verdict

Check = Callable[[ScheduleRun], Verdict]
Workers = Mapping[str, Callable[[], Any]]


@dataclass
class ScheduleCase:
    case_id: str
    run: ScheduleRun
    verdict: Verdict

    @property
    def schedule(self) -> Schedule:
        return self.run.schedule


@dataclass
class SearchResult:
    """What ``find_failing_schedule`` tried and found (``failing`` None: nothing failed)."""

    tried: int
    failing: ScheduleCase | None
    seconds_to_first_failure: float | None = None
    seconds: float = 0.0
    shrunk_from: list[str] = field(default_factory=list)


def discover_steps(
    workers: Workers,
    *,
    setup: Callable[[], object] | None = None,
    spawner: Spawner | None = None,
    timeout_s: float = DEFAULT_STEP_TIMEOUT_S,
    points: Collection[str] | None = None,
) -> dict[str, int]:
    """Run each worker alone (after ``setup``) and count its steps: its points + 1
    (only the ``points`` given, when a schedule stops at those alone)."""
    out = {}
    for name, fn in workers.items():
        if setup is not None:
            setup()
        passed = run_case(fn, timeout_s=timeout_s, spawner=spawner).points
        if points is not None:
            passed = [p for p in passed if p in set(points)]
        out[name] = len(passed) + 1
    return out


def case_id(schedule: Schedule) -> str:
    return f"schedule:{schedule}"


def _run_one(
    workers: Workers,
    schedule: Schedule,
    check: Check | None,
    setup: Callable[[], object] | None,
    run_kwargs: dict[str, Any],
    judged: Judged | None = None,
) -> ScheduleCase:
    if setup is not None:
        setup()
    run = run_schedule(workers, schedule, **run_kwargs)
    cid = case_id(schedule)
    if judged is not None:
        verdict = judged.judge(cid, run)
    else:
        assert check is not None
        verdict = check_safe("check", check, run)
    if run.timed_out and verdict.valid:
        verdict = Verdict.unknown("check", f"a step timed out: {run.program().splitlines()[-1]}")
    return ScheduleCase(cid, run, Verdict(cid, verdict.validity, verdict.summary, verdict.evidence))


@dataclass(frozen=True)
class Judged:
    """Checks on the record: the run's history with the stores' ``final`` snapshot and the
    count of steps that blocked on another worker (``meta["blocked_steps"]``)."""

    checks: Sequence[JudgeCheck]
    snapshot: Callable[[], Any] | None = None

    def judge(self, cid: str, run: ScheduleRun) -> Verdict:
        run.history.meta["blocked_steps"] = run.blocked_steps
        extra: list[Verdict] = []
        if self.snapshot is not None:
            try:
                run.history.snapshot("final", self.snapshot())
            except Exception as exc:
                extra.append(Verdict.unknown("snapshot", f"reading the stores raised {exc!r}"))
        run.history.meta["run_parts"] = [v.to_json() for v in extra]
        return judged(cid, run.history, self.checks, extra)


def _judged(
    check: Check | None, checks: Sequence[JudgeCheck] | None, snapshot: Callable[[], Any] | None
) -> Judged | None:
    if checks is not None:
        if check is not None:
            raise ConfigError("give checks=[Check(...)] or check=fn, not both")
        return Judged(checks_of(checks), snapshot)
    if not callable(check):
        raise ConfigError(f"check must be a callable returning a Verdict, got {check!r}")
    return None


def replayed(ctx: Recorder | None) -> Schedule | None:
    """The schedule a replay asks for (``--harness-case schedule:a,b,a``), if any."""
    only = getattr(ctx, "only_case", None)
    if isinstance(only, str) and only.startswith("schedule:"):
        return Schedule.parse(only.removeprefix("schedule:"))
    return None


def _record(ctx: Recorder | None, case: ScheduleCase, judged: Judged | None = None) -> None:
    if ctx is not None:
        detail = {"schedule": str(case.schedule), **case.run.to_json()}
        if judged is not None:
            detail["checks"] = [c.to_json() for c in judged.checks]
        ctx.record(case.case_id, case.verdict, history=case.run.history, detail=detail)


def explore_schedules(
    workers: Workers,
    *,
    check: Check | None = None,
    checks: Sequence[JudgeCheck] | None = None,
    snapshot: Callable[[], Any] | None = None,
    setup: Callable[[], object] | None = None,
    schedules: Iterable[Schedule | str] | None = None,
    steps: Mapping[str, int] | None = None,
    max_preemptions: int | None = None,
    limit: int | None = None,
    stop_at_first_failure: bool = False,
    ctx: Recorder | None = None,
    blocking: BlockingDetector | None = None,
    spawner: Spawner | None = None,
    step_timeout_s: float = DEFAULT_STEP_TIMEOUT_S,
    **run_kwargs: Any,
) -> list[ScheduleCase]:
    """Run each schedule (given, or every interleaving of ``steps``, discovered if not
    given) after ``setup`` (the reset to a fresh state); judge each run: ``checks`` on its
    record (history, ``final`` snapshot from ``snapshot()``, ``meta["blocked_steps"]``), or
    ``check(run)``. With ``ctx`` each is a recorded case."""
    require_ctx(ctx, "explore_schedules")
    check_kwargs(run_schedule, run_kwargs, "explore_schedules")
    judged = _judged(check, checks, snapshot)
    replay = replayed(ctx)
    if replay is not None:
        schedules = [replay]  # a replay runs its schedule, enumerated or not
    if schedules is None:
        if steps is None:
            steps = discover_steps(
                workers, setup=setup, spawner=spawner, points=run_kwargs.get("points")
            )
        schedules = enumerate_schedules(steps, max_preemptions=max_preemptions, limit=limit)
    kwargs = {
        "blocking": blocking,
        "spawner": spawner,
        "step_timeout_s": step_timeout_s,
        **run_kwargs,
    }
    cases = []
    for schedule in schedules:
        s = Schedule.parse(schedule) if isinstance(schedule, str) else schedule
        if ctx is not None and not ctx.selected(case_id(s)):
            continue
        case = _run_one(workers, s, check, setup, kwargs, judged)
        cases.append(case)
        _record(ctx, case, judged)
        if stop_at_first_failure and case.verdict.validity is Validity.INVALID:
            break
    if ctx is not None:
        ctx.explored(schedules=len(cases), workers=sorted(workers))
    return cases


def find_failing_schedule(
    workers: Workers,
    *,
    seed: int,
    check: Check | None = None,
    checks: Sequence[JudgeCheck] | None = None,
    snapshot: Callable[[], Any] | None = None,
    setup: Callable[[], object] | None = None,
    steps: Mapping[str, int] | None = None,
    max_examples: int = 50,
    ctx: Recorder | None = None,
    blocking: BlockingDetector | None = None,
    spawner: Spawner | None = None,
    step_timeout_s: float = DEFAULT_STEP_TIMEOUT_S,
    **run_kwargs: Any,
) -> SearchResult:
    """Hypothesis draws schedules (from ``seed``) until one is INVALID, then shrinks it to a
    minimal failing schedule, which is re-run, recorded and returned. Each run is judged as
    ``explore_schedules`` judges it: ``checks`` on its record (recheckable), or ``check(run)``."""
    from hypothesis import HealthCheck, find, settings
    from hypothesis.errors import NoSuchExample

    from harness.races.strategy import schedules

    require_ctx(ctx, "find_failing_schedule")
    check_kwargs(run_schedule, run_kwargs, "find_failing_schedule")
    judged = _judged(check, checks, snapshot)
    if not isinstance(max_examples, int) or max_examples < 1:
        raise ConfigError(f"max_examples must be an integer >= 1, got {max_examples!r}")
    kwargs = {
        "blocking": blocking,
        "spawner": spawner,
        "step_timeout_s": step_timeout_s,
        **run_kwargs,
    }
    replay = replayed(ctx)
    if replay is not None:  # a replay re-runs the recorded minimal schedule, no search
        case = _run_one(workers, replay, check, setup, kwargs, judged)
        _record(ctx, case, judged)
        failed = case.verdict.validity is Validity.INVALID
        return SearchResult(1, case if failed else None)
    if steps is None:
        steps = discover_steps(
            workers, setup=setup, spawner=spawner, points=run_kwargs.get("points")
        )
    result = SearchResult(0, None)
    t0 = time.perf_counter()

    def fails(schedule: Schedule) -> bool:
        result.tried += 1
        case = _run_one(workers, schedule, check, setup, kwargs, judged)
        failed = case.verdict.validity is Validity.INVALID
        if failed:
            if result.seconds_to_first_failure is None:
                result.seconds_to_first_failure = time.perf_counter() - t0
            result.shrunk_from.append(str(schedule))
        return failed

    config = settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    try:
        minimal = find(schedules(steps), fails, settings=config, random=random.Random(seed))
    except NoSuchExample:
        minimal = None
    if minimal is not None:
        result.failing = _run_one(workers, minimal, check, setup, kwargs, judged)
        _record(ctx, result.failing, judged)
    elif ctx is not None:
        ctx.record(
            "hypothesis",
            Verdict.ok(
                "hypothesis", f"{result.tried} drawn schedules, none failing", tried=result.tried
            ),
            detail={"seed": seed, "steps": dict(steps)},
        )
    if ctx is not None:
        ctx.explored(schedules=result.tried, workers=sorted(workers), search="hypothesis")
    result.seconds = time.perf_counter() - t0
    return result

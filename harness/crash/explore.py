"""Exhaustive exploration: every discovered crash point, killed (or faulted) in turn.

The engine is ``explore_points``: per (fault, point) a fresh environment, the op in
a child with the fault there, the stores snapshotted, recovery run here and
recorded, registered checks judging that record (see docs/core.md)::

    explore_points(ctx, op=make_op, faults=[Kill(), Cut(pg_link)], reset=reset,
                   snapshot=read_rows, recover=retry, checks=[Check("no_orphans", ...)])

``explore_crashes`` / ``explore_faults`` are the short forms for a check that
takes the child run (unit tests of the runner; a scenario uses ``explore_points``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.checkers.judge import Check, checks_of, judged
from harness.checkers.safe import check_safe
from harness.crash import landing
from harness.crash.faults import Fault, InProcess, Kill
from harness.crash.runner import (
    DEFAULT_TIMEOUT_S,
    Action,
    CaseRun,
    Outcome,
    action_name,
    op_name,
    run_case,
)
from harness.crash.spawn import Spawner
from harness.crash.steps import Steps
from harness.errors import ConfigError, check_kwargs
from harness.history import History, Op
from harness.scenario import Recorder, require_ctx
from harness.verdict import Verdict, compose

AFTER_FAULT = "after_fault"
AFTER_RECOVERY = "after_recovery"

RunCheck = Callable[[CaseRun], Verdict]
NO_CRASH = "no-crash"


@dataclass
class CrashCase:
    case_id: str
    point: str | None
    run: CaseRun
    verdict: Verdict

    @property
    def valid(self) -> bool:
        return self.verdict.valid


def _judge(
    case_id: str,
    point: str | None,
    run: CaseRun,
    check: RunCheck,
    recover: Callable[[], object] | None,
) -> Verdict:
    parts = [_as_part("after-run", check_safe("check", check, run))]
    if recover is not None:
        recovered = check_safe("recover", _recover_then_check, recover, check, run)
        parts.append(_as_part("after-recovery", recovered))
    if point is not None and run.killed_at != point and point not in run.paused_at:
        parts.append(
            Verdict.unknown(
                "reached",
                f"the op did not reach {point} on this run (it passed {run.points}); "
                "is the op deterministic?",
            )
        )
    return compose(case_id, parts)


def _recover_then_check(recover: Callable[[], object], check: RunCheck, run: CaseRun) -> Verdict:
    recover()
    return check(run)


def _as_part(stage: str, verdict: Verdict) -> Verdict:
    return Verdict(
        f"{stage}:{verdict.checker}",
        verdict.validity,
        f"{stage}: {verdict.summary}",
        verdict.evidence,
    )


def _explore(
    op: Callable[[], Any],
    label: str,
    fault: Action | None,
    *,
    check: RunCheck,
    setup: Callable[[], object] | None,
    recover: Callable[[], object] | None,
    restore: Callable[[], object] | None,
    points: Sequence[str] | None,
    ctx: Recorder | None,
    timeout_s: float,
    spawner: Spawner | None,
    run_kwargs: dict[str, Any],
) -> list[CrashCase]:
    where = f"explore_{label}s" if label == "crash" else "explore_faults"
    require_ctx(ctx, where)
    check_kwargs(run_case, run_kwargs, where)
    if not callable(check):
        raise ConfigError(f"check must be a callable returning a Verdict, got {check!r}")
    if points is not None and (
        isinstance(points, str) or not all(isinstance(p, str) for p in points)
    ):
        raise ConfigError(f"points must be a list of crash point names, got {points!r}")
    for name, fn in (("setup", setup), ("recover", recover), ("restore", restore)):
        if fn is not None and not callable(fn):
            raise ConfigError(f"{name} must be a callable taking no arguments, got {fn!r}")
    cases: list[CrashCase] = []

    def record(case: CrashCase) -> None:
        cases.append(case)
        if ctx is not None:
            detail = {"crash_point": case.point, "fault": label, "run": case.run.to_json()}
            ctx.record(case.case_id, case.verdict, history=case.run.history, detail=detail)

    if setup is not None:
        setup()
    base = run_case(op, timeout_s=timeout_s, spawner=spawner, **run_kwargs)
    wanted = list(points) if points is not None else base.points
    if ctx is None or ctx.selected(NO_CRASH):
        record(CrashCase(NO_CRASH, None, base, _judge(NO_CRASH, None, base, check, recover)))
    for point in wanted:
        case_id = f"{label}@{point}"
        if ctx is not None and not ctx.selected(case_id):
            continue
        if setup is not None:
            setup()
        if fault is None:
            run = run_case(
                op,
                kill_at=point,
                timeout_s=timeout_s,
                spawner=spawner,
                must_reach=False,
                **run_kwargs,
            )
        else:
            try:
                run = run_case(
                    op,
                    pause_at={point: fault},
                    timeout_s=timeout_s,
                    spawner=spawner,
                    must_reach=False,
                    **run_kwargs,
                )
            finally:
                if restore is not None:
                    restore()
        record(CrashCase(case_id, point, run, _judge(case_id, point, run, check, recover)))
    if ctx is not None:
        ctx.explored(**{f"{label}_points": len(wanted), "points": wanted})
    return cases


def explore_crashes(
    op: Callable[[], Any],
    *,
    check: RunCheck,
    setup: Callable[[], object] | None = None,
    recover: Callable[[], object] | None = None,
    points: Sequence[str] | None = None,
    ctx: Recorder | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    spawner: Spawner | None = None,
    **run_kwargs: Any,
) -> list[CrashCase]:
    """SIGKILL ``op`` at each of its points (``points`` overrides discovery); check each."""
    return _explore(
        op,
        "crash",
        None,
        check=check,
        setup=setup,
        recover=recover,
        restore=None,
        points=points,
        ctx=ctx,
        timeout_s=timeout_s,
        spawner=spawner,
        run_kwargs=run_kwargs,
    )


def explore_faults(
    op: Callable[[], Any],
    fault: Action,
    *,
    check: RunCheck,
    setup: Callable[[], object] | None = None,
    restore: Callable[[], object] | None = None,
    recover: Callable[[], object] | None = None,
    points: Sequence[str] | None = None,
    ctx: Recorder | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    spawner: Spawner | None = None,
    **run_kwargs: Any,
) -> list[CrashCase]:
    """At each point: pause ``op`` there, run ``fault`` (cut a link...), resume it,
    ``restore()`` (heal the link), check. Case ids are ``<fault>@<point>``."""
    if not callable(fault):
        raise ConfigError(f"fault must be a callable action, got {fault!r}")
    return _explore(
        op,
        action_name(fault).rsplit(".", 1)[-1],
        fault,
        check=check,
        setup=setup,
        recover=recover,
        restore=restore,
        points=points,
        ctx=ctx,
        timeout_s=timeout_s,
        spawner=spawner,
        run_kwargs=run_kwargs,
    )


# -- the engine: faults at points, on a fresh environment, judged on the record ---------

NO_FAULT = "no-fault"
Facts = Mapping[str, Any]
OpFactory = Callable[[Facts, Any], Callable[[], Any]]


@dataclass
class FaultCase:
    """One explored case: its fault at its point (None: the no-fault baseline), the child
    run, the record the checks judged (history with snapshots and facts), the verdict."""

    case_id: str
    fault: Fault | None
    point: str | None
    run: CaseRun
    verdict: Verdict
    #: verdicts about the run itself (a snapshot that failed, a point not reached), not
    #: from the checks: kept so a recheck composes the same verdict
    run_parts: list[Verdict] = field(default_factory=list)

    @property
    def history(self) -> History:
        return self.run.history

    @property
    def valid(self) -> bool:
        return self.verdict.valid


def _facts(reset: Callable[[], Facts | None] | None) -> dict[str, Any]:
    if reset is None:
        return {}
    facts = reset()
    if facts is None:
        return {}
    if not isinstance(facts, Mapping):
        raise ConfigError(
            f"reset must return None or a mapping of facts for the record, got {type(facts).__name__}"
        )
    return dict(facts)


def _run_here(
    op: Callable[[], Any], fault: InProcess, point: str, history: History, process: str
) -> CaseRun:
    """The op in this process, ``fault.action`` where it first reaches ``point``."""
    from harness.crash.child import describe
    from harness.crash.in_process import at_points

    t0 = time.perf_counter()
    run = CaseRun(Outcome.INFO, [], history, 0.0)
    fault_op: list[Op] = []

    def act() -> None:
        fault_op.append(history.fault(fault.name, {"process": process, "at": point}))
        assert fault.action is not None
        fault.action()

    invoked = history.invoke(process, op_name(op))
    with at_points({point: act}) as controller:
        try:
            run.value = op()
        except Exception as exc:
            run.error = describe(exc)
            history.info(invoked, run.error)
        else:
            run.outcome = Outcome.OK
            history.ok(invoked, run.value)
    run.points = list(controller.seen)
    run.paused_at = list(controller.fired)
    waited, lingering = landing.settle()
    run.landed_s = waited
    for op_ in fault_op:
        history.amend(op_, landed_s=round(waited, 6), sessions_ended=len(lingering))
    run.duration_s = time.perf_counter() - t0
    return run


def _snap(history: History, stage: str, snapshot: Callable[[], Any] | None) -> Verdict | None:
    if snapshot is None:
        return None
    try:
        history.snapshot(stage, snapshot())
    except Exception as exc:  # the stores could not be read: the case cannot be judged
        return Verdict.unknown("snapshot", f"{stage}: reading the stores raised {exc!r}")
    return None


def _recover(history: History, recover: Callable[[Steps], object], facts: Facts) -> Verdict | None:
    try:
        recover(Steps(history, facts))
    except Exception as exc:  # a step records its own error; this is recovery code breaking
        return Verdict.unknown("recover", f"recovery raised {type(exc).__name__}: {exc}")
    return None


def _reached(point: str | None, run: CaseRun) -> Verdict | None:
    if point is None or run.killed_at == point or point in run.paused_at:
        return None
    return Verdict.unknown(
        "reached",
        f"the op did not reach {point} on this run (it passed {run.points}); is it deterministic?",
    )


def _case(
    case_id: str,
    fault: Fault | None,
    point: str | None,
    *,
    op: OpFactory,
    reset: Callable[[], Facts | None] | None,
    snapshot: Callable[[], Any] | None,
    recover: Callable[[Steps], object] | None,
    checks: Sequence[Check],
    process: str,
    run_kwargs: dict[str, Any],
) -> FaultCase:
    facts = _facts(reset)
    history = History()
    history.meta.update(facts=facts, fault=fault.name if fault else None, point=point)
    child_op = op(facts, fault.link if fault else None)
    if fault is not None and fault.in_process:
        assert isinstance(fault, InProcess) and point is not None
        try:
            run = _run_here(child_op, fault, point, history, process)
        finally:
            fault.restore()
    else:
        armed = (
            fault.arm_in(point, Steps(history, facts))
            if fault is not None and point is not None
            else {}
        )
        try:
            run = run_case(
                child_op, history=history, process=process, must_reach=False, **armed, **run_kwargs
            )
        finally:
            if fault is not None:
                fault.restore()
    problems = [_snap(history, AFTER_FAULT, snapshot)]
    if recover is not None:
        problems.append(_recover(history, recover, facts))
        problems.append(_snap(history, AFTER_RECOVERY, snapshot))
    problems.append(_reached(point, run))
    extra = [p for p in problems if p is not None]
    return FaultCase(case_id, fault, point, run, judged(case_id, history, checks, extra), extra)


def _case_detail(case: FaultCase, checks: Sequence[Check]) -> dict[str, Any]:
    return {
        "fault": case.fault.name if case.fault else None,
        "crash_point": case.point,
        "run": case.run.to_json(),
        "checks": [c.to_json() for c in checks],
        "run_parts": [v.to_json() for v in case.run_parts],
    }


def explore_points(
    ctx: Recorder | None,
    *,
    op: OpFactory,
    checks: Sequence[Check],
    faults: Sequence[Fault] = (Kill(),),
    reset: Callable[[], Facts | None] | None = None,
    snapshot: Callable[[], Any] | None = None,
    recover: Callable[[Steps], object] | None = None,
    points: Sequence[str] | None = None,
    skip_points: Sequence[str] = (),
    baseline: bool = True,
    process: str = "child",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    spawner: Spawner | None = None,
    fail_on: tuple[type[BaseException], ...] = (),
) -> list[FaultCase]:
    """Each fault at each point of ``op``, one case each, plus a no-fault baseline.

    Per case: ``reset()`` (a fresh environment; returns the facts the checks need, kept in
    the record), the op in a child with the fault at the point (the fault complete once the
    servers saw it), ``snapshot()`` as ``after_fault``, ``recover(steps)`` here, recorded,
    ``snapshot()`` as ``after_recovery``, then ``checks`` on that record. A check that
    raises makes its case UNKNOWN; nothing else. ``op(facts, link)`` returns the zero-argument
    callable the child runs; ``link`` is the fault's link (None: go direct).

    The baseline run (no fault) discovers the points unless ``points`` names them."""
    require_ctx(ctx, "explore_points")
    checks = checks_of(checks)
    for name, fn in (("op", op), ("reset", reset), ("snapshot", snapshot), ("recover", recover)):
        if fn is not None and not callable(fn):
            raise ConfigError(f"{name} must be a callable, got {fn!r}")
    if not callable(op):
        raise ConfigError("op must be a callable op(facts, link) returning the op to run")
    if isinstance(faults, Fault) or not all(isinstance(f, Fault) for f in faults):
        raise ConfigError(
            f"faults must be a list of Kill(), Cut(link), AtPoint(...), got {faults!r}"
        )
    if points is not None and (
        isinstance(points, str) or not all(isinstance(p, str) for p in points)
    ):
        raise ConfigError(f"points must be a list of crash point names, got {points!r}")
    names = [f.name for f in faults]
    if len(set(names)) != len(names):
        raise ConfigError(f"two faults share a name in {names}; give each its own name=")
    run_kwargs: dict[str, Any] = {"timeout_s": timeout_s, "spawner": spawner, "fail_on": fail_on}
    common: dict[str, Any] = {
        "op": op,
        "reset": reset,
        "snapshot": snapshot,
        "recover": recover,
        "checks": checks,
        "process": process,
        "run_kwargs": run_kwargs,
    }
    cases: list[FaultCase] = []

    def record(case: FaultCase) -> None:
        cases.append(case)
        if ctx is not None:
            ctx.record(
                case.case_id, case.verdict, history=case.history, detail=_case_detail(case, checks)
            )

    want_base = baseline and (ctx is None or ctx.selected(NO_FAULT))
    passed: list[str] | None = None
    if points is None or want_base:
        base = _case(NO_FAULT, None, None, **common)
        if want_base:
            record(base)
        passed = base.run.points
    if points is not None and passed is not None:
        _check_points_passed(points, passed)
    wanted = list(points) if points is not None else list(passed or [])
    wanted = [p for p in wanted if p not in set(skip_points)]
    for fault in faults:
        for point in wanted:
            case_id = f"{fault.name}@{point}"
            if ctx is not None and not ctx.selected(case_id):
                continue
            record(_case(case_id, fault, point, **common))
    if ctx is not None:
        ctx.explored(
            crash_points=len(wanted),
            points=wanted,
            faults=[f.describe() for f in faults],
            cases=len(wanted) * len(faults) + (1 if baseline else 0),
        )
    return cases


def _check_points_passed(given: Sequence[str], passed: list[str]) -> None:
    """A named point the op never passes is an error (its fault would never fire)."""
    missing = [p for p in given if p not in passed]
    if missing:
        raise ConfigError(
            f"crash point(s) {missing} are never passed by the op; it passes: {passed}"
        )


# -- named cases: a fixed table of situations, each run here and judged on its record ----

FINAL = "final"


@dataclass
class NamedCase:
    case_id: str
    history: History
    verdict: Verdict


def explore_named(
    ctx: Recorder | None,
    cases: Mapping[str, Callable[[Steps], object]],
    *,
    checks: Sequence[Check] | Mapping[str, Sequence[Check]],
    reset: Callable[[], Facts | None] | None = None,
    snapshot: Callable[[], Any] | None = None,
) -> list[NamedCase]:
    """Each named case: ``reset()``, ``cases[name](steps)`` here (its steps recorded; it may
    add facts to ``steps.facts``), ``snapshot()`` as ``final``, then its checks (one list
    for all, or a list per case name) on the record."""
    require_ctx(ctx, "explore_named")
    if not isinstance(cases, Mapping) or not cases:
        raise ConfigError(f"cases must be a non-empty mapping of name -> fn(steps), got {cases!r}")
    if isinstance(checks, Mapping):
        missing = sorted(set(cases) - set(checks))
        if missing:
            raise ConfigError(f"no checks for case(s) {missing}; checks has {sorted(checks)}")
        per_case = {name: checks_of(checks[name]) for name in cases}
    else:
        shared = checks_of(checks)
        per_case = dict.fromkeys(cases, shared)
    out: list[NamedCase] = []
    for name, run in cases.items():
        if ctx is not None and not ctx.selected(name):
            continue
        history = History()
        history.meta["facts"] = _facts(reset)
        steps = Steps(history, history.meta["facts"])
        problems = [_recover(history, run, steps.facts)]
        problems.append(_snap(history, FINAL, snapshot))
        extra = [p for p in problems if p is not None]
        verdict = judged(name, history, per_case[name], extra)
        out.append(NamedCase(name, history, verdict))
        if ctx is not None:
            detail = {
                "checks": [c.to_json() for c in per_case[name]],
                "run_parts": [v.to_json() for v in extra],
            }
            ctx.record(name, verdict, history=history, detail=detail)
    if ctx is not None:
        ctx.explored(cases=len(cases))
    return out

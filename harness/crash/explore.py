"""Exhaustive exploration: every discovered crash point, killed (or faulted) in turn.

    cases = explore_crashes(op, setup=reset_db, check=no_partial_rows, recover=replay, ctx=ctx)

For each point: ``setup()``, run ``op`` in a child and kill it there, ``check``,
then ``recover()`` (if any) and ``check`` again. The uninterrupted run that
discovered the points is checked too (case ``no-crash``). With ``ctx`` each
case is recorded on the scenario (and a replay runs only its case).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from harness.checkers.safe import check_safe
from harness.crash.runner import DEFAULT_TIMEOUT_S, Action, CaseRun, action_name, run_case
from harness.crash.spawn import Spawner
from harness.errors import ConfigError
from harness.verdict import Verdict, compose

Check = Callable[[CaseRun], Verdict]
NO_CRASH = "no-crash"


class _Recorder(Protocol):  # ScenarioContext, structurally
    def selected(self, case_id: str) -> bool: ...

    def record(
        self, case_id: str, verdict: Verdict, *, history: Any = ..., detail: Any = ...
    ) -> Any: ...

    def explored(self, **counts: Any) -> None: ...


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
    check: Check,
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


def _recover_then_check(recover: Callable[[], object], check: Check, run: CaseRun) -> Verdict:
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
    check: Check,
    setup: Callable[[], object] | None,
    recover: Callable[[], object] | None,
    restore: Callable[[], object] | None,
    points: Sequence[str] | None,
    ctx: _Recorder | None,
    timeout_s: float,
    spawner: Spawner | None,
    run_kwargs: dict[str, Any],
) -> list[CrashCase]:
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
            run = run_case(op, kill_at=point, timeout_s=timeout_s, spawner=spawner, **run_kwargs)
        else:
            try:
                run = run_case(
                    op, pause_at={point: fault}, timeout_s=timeout_s, spawner=spawner, **run_kwargs
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
    check: Check,
    setup: Callable[[], object] | None = None,
    recover: Callable[[], object] | None = None,
    points: Sequence[str] | None = None,
    ctx: _Recorder | None = None,
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
    check: Check,
    setup: Callable[[], object] | None = None,
    restore: Callable[[], object] | None = None,
    recover: Callable[[], object] | None = None,
    points: Sequence[str] | None = None,
    ctx: _Recorder | None = None,
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

"""One fault per case at every crash point of an operation: SIGKILL there, or cut the
database link there (through the proxy) and let the operation carry on.

Plan: discover the points the op passes (on a throwaway database). Run: per
(fault, point), a fresh database, the op in a harness child, the fault at the
point. Check: the invariant on the state after the fault, then after the
scenario's recovery step, both into one verdict per case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.crash.child import describe
from harness.crash.runner import discover, op_name, run_case
from harness.history import History
from harness.verdict import Verdict, compose
from scenarios.agt import agtdb, child_ops, fixtures_sql

Check = Callable[["Env", History, str], Verdict]


@dataclass
class Env:
    """One case's world: its database and whatever the setup step created in it."""

    db: Any
    data: dict[str, Any]

    @property
    def dsn(self) -> str:
        return str(self.db.dsn)


def dsn_via(db: Any, link: Any) -> str:
    """The same database, reached through the proxy link."""
    return f"host={link.host} port={link.port} dbname={db.name} user={_user(db)} connect_timeout=3"


def _user(db: Any) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(str(db.dsn)).get("user") or "postgres")


def explore(
    ctx: Any,
    *,
    factory: Any,
    setup: Callable[[Env], None],
    op: Callable[[Env, str], Callable[[], Any]],
    check: Check,
    recover: Callable[[Env, History], None],
    link: Any = None,
    skip_points: tuple[str, ...] = (),
    fresh: Callable[[Any], Any] = agtdb.fresh,
    reset: Callable[[Any, Any], Any] | None = None,
    snapshot: Callable[[str], Any] = agtdb.snapshot,
) -> None:
    """``reset(factory, db)`` empties the case's database between cases (default: truncate
    the AGT tables, far cheaper than a new database; schema scenarios pass a real reset)."""
    db = fresh(factory)
    reset = reset or _truncate
    probe = Env(db, {})
    setup(probe)
    points = [p for p in discover(op(probe, probe.dsn)) if p not in skip_points]
    faults = ["crash"] + (["cut"] if link is not None else [])
    for fault in faults:
        for point in points:
            case = f"{fault}@{point}"
            if not ctx.selected(case):
                continue
            env = Env(reset(factory, db), {})
            setup(env)
            history = History()
            if fault == "crash":
                run = run_case(op(env, env.dsn), kill_at=point, history=history)
            else:
                try:
                    run = run_case(
                        op(env, dsn_via(env.db, link)), pause_at={point: link.cut}, history=history
                    )
                finally:
                    link.restore()
            after_fault = check(env, history, "after fault")
            history.snapshot("after_fault", snapshot(env.dsn))
            recover(env, history)
            after_recovery = check(env, history, "after recovery")
            history.snapshot("after_recovery", snapshot(env.dsn))
            verdict = compose(case, [after_fault, after_recovery])
            ctx.record(
                case,
                verdict,
                history=history,
                detail={"fault": fault, "point": point, "run": run.summary()},
            )
    ctx.explored(
        crash_points=len(points),
        points=points,
        faults=faults,
        cases=len(points) * len(faults),
        processes=1,
    )


def _truncate(_factory: Any, db: Any) -> Any:
    fixtures_sql.reset(db.dsn)
    return db


def phase(verdict: Verdict, when: str) -> Verdict:
    """Prefix a verdict's summary with the phase it judged."""
    return Verdict(
        f"{verdict.checker} ({when})",
        verdict.validity,
        f"{when}: {verdict.summary}",
        verdict.evidence,
    )


def here(op: Callable[[], Any], history: History, process: str) -> None:
    """Run a recovery step (a retry, the next poll) in this process, recorded as ``run_case``
    records a child's op: invoke, then ok with its value or, on an exception, info.

    Nothing is injected into a recovery step, so a child of its own bought nothing but a
    fork, an exit and a new database backend per case (about a third of a fault case's
    cost). The op is the same ``child_ops`` function, on this process's kept connection."""
    invoked = history.invoke(process, op_name(op))
    token = child_ops.IN_SCENARIO.set(True)
    try:
        value = op()
    except Exception as exc:  # unknown outcome, as a child's exception is
        history.info(invoked, describe(exc))
    else:
        history.ok(invoked, value)
    finally:
        child_ops.IN_SCENARIO.reset(token)

"""AGT-8: the migration adding ``retry_count`` and its partial index is idempotent, applied in
one transaction, with a working down migration.

Invariant: run twice, no error and the same schema; killed (or its link cut) at
any step, the schema is wholly old or wholly new, and a re-run completes it.
"""

from __future__ import annotations

import functools

from harness.history import History
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from reference_impl.agt import Variants, migrate
from scenarios.agt import agtdb, child_ops, faultcases
from scenarios.agt.faultcases import Env

FIX = "AGT-8"


def _at_v1(dsn: str) -> None:
    with agtdb.connect(dsn) as conn:
        migrate.upgrade(conn, target=1)


def _fresh_v1(factory):
    return agtdb.fresh_from(factory, "agt-v1", _at_v1)


def _schema(dsn: str) -> dict:
    return agtdb.schema_of(dsn)


def _reference(factory) -> tuple[dict, dict]:
    old = _schema(_fresh_v1(factory).dsn)
    new_db = _fresh_v1(factory)
    with agtdb.connect(new_db.dsn) as conn:
        migrate.upgrade(conn)
    return old, _schema(new_db.dsn)


def _whole(old: dict, new: dict):
    def check(env: Env, history: History, when: str) -> Verdict:
        got = _schema(env.dsn)
        parts = []
        if got in (old, new):
            which = "old" if got == old else "new"
            parts.append(
                Verdict.ok("schema_whole", f"schema wholly {which} (versions {got['versions']})")
            )
        else:
            extra = [c for c in got["columns"] if c not in old["columns"]]
            idx = [i[0] for i in got["indexes"] if i not in old["indexes"]]
            parts.append(
                Verdict.violated(
                    "schema_whole",
                    f"schema half-migrated: versions {got['versions']}, new columns {[c[1] for c in extra]}, new indexes {idx}",
                    schema=got,
                )
            )
        if when == "after recovery":
            from scenarios.agt import invariants

            parts.append(invariants.last_op_ok(history, "retry"))
            if got != new:
                parts.append(
                    Verdict.violated(
                        "rerun_completes", "a re-run did not reach the new schema", schema=got
                    )
                )
        return compose(when, [faultcases.phase(p, when) for p in parts])

    return check


def _back_to_v1(_factory, db):
    """Undo whatever a case left (whole, half or no migration 002): cheaper than a new database."""
    with agtdb.connect(db.dsn) as conn, conn.transaction():
        for stmt in migrate.statements(migrate.load()[1].down):
            conn.execute(stmt)
        conn.execute("DELETE FROM schema_migrations WHERE version > 1")
    return db


def _op(env: Env, dsn: str):
    return functools.partial(child_ops.migrate_op, dsn, env.data["variants"])


@scenario(FIX, variants=("prefix", "fixed"))
def test_migration_fault_at_every_step(ctx, pg_database_factory, pg_link) -> None:
    """SIGKILL (or a cut link) at every step of migration 002: wholly old or wholly new, a re-run completes it."""
    variants = f"{FIX}={ctx.variant}"
    old, new = _reference(pg_database_factory)

    def setup(env: Env) -> None:
        env.data["variants"] = variants

    def recover(env: Env, history: History) -> None:
        faultcases.here(_op(env, env.dsn), history, "retry")

    faultcases.explore(
        ctx,
        factory=pg_database_factory,
        setup=setup,
        op=_op,
        check=_whole(old, new),
        recover=recover,
        link=pg_link,
        fresh=_fresh_v1,
        reset=_back_to_v1,
        snapshot=_schema,
    )


@scenario(FIX, variants=("prefix", "fixed"))
def test_migration_idempotent_and_reversible(ctx, pg_database_factory) -> None:
    """Up twice: no error, same schema. Down: the old schema; down again: no error; up again: the new."""
    variants = Variants.only(FIX, ctx.variant)
    old, new = _reference(pg_database_factory)

    def up_sql_twice(conn) -> None:
        migrate.upgrade(conn, variants)
        migrate.run_up_sql(conn, 2, variants)

    def down(conn) -> None:
        migrate.upgrade(conn, variants)
        migrate.downgrade(conn, 1)

    def down_twice_then_up(conn) -> None:
        down(conn)
        migrate.downgrade(conn, 1)
        migrate.upgrade(conn, variants)

    steps = [
        ("up_sql_twice", up_sql_twice, new),
        ("down", down, old),
        ("down_twice_then_up", down_twice_then_up, new),
    ]
    for case, action, want in steps:
        if not ctx.selected(case):
            continue
        db = _fresh_v1(pg_database_factory)
        history = History()
        op = history.invoke("runner", case)
        try:
            with agtdb.connect(db.dsn) as conn:
                action(conn)
            history.ok(op)
            error = None
        except Exception as exc:  # the run's own error is the evidence
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            history.fail(op, error)
        got = _schema(db.dsn)
        history.snapshot("schema", got)
        if error is None and got == want:
            verdict = Verdict.ok("idempotent_migration", f"{case}: no error, expected schema")
        else:
            verdict = Verdict.violated(
                "idempotent_migration",
                f"{case}: {error or 'unexpected schema'}",
                error=error,
                schema=got,
            )
        ctx.record(case, verdict, history=history)
    ctx.explored(cases=len(steps))

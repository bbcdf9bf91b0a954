"""AGT-8: the migration adding ``retry_count`` and its partial index is idempotent, applied in
one transaction, with a working down migration.

Invariant: run twice, no error and the same schema; killed (or its link cut) at
any step, the schema is wholly old or wholly new, and a re-run completes it.
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, explore_named, through
from harness.scenario import scenario
from reference_impl.agt import Variants, migrate
from scenarios.agt import agtdb, checks, child_ops, plans

FIX = "AGT-8"
FAULT_CHECKS = [
    Check("agt.schema_whole", stage=AFTER_FAULT),
    Check("agt.schema_whole", stage=AFTER_RECOVERY),
    Check("agt.recovery_completes", process="retry"),
    Check("agt.schema_is", want="new", stage=AFTER_RECOVERY),
]
assert checks  # registers the agt.* checkers


def _at_v1(dsn: str) -> None:
    with agtdb.connect(dsn) as conn:
        migrate.upgrade(conn, target=1)


def _fresh_v1(factory):
    return agtdb.fresh_from(factory, "agt-v1", _at_v1)


def _reference(factory) -> dict:
    """The schema before and after migration 002, as the facts every check compares with."""
    old = agtdb.schema_of(_fresh_v1(factory).dsn)
    new_db = _fresh_v1(factory)
    with agtdb.connect(new_db.dsn) as conn:
        migrate.upgrade(conn)
    return {"old": old, "new": agtdb.schema_of(new_db.dsn)}


def _back_to_v1(dsn: str) -> None:
    """Undo whatever a case left (whole, half or no migration 002): cheaper than a new database."""
    with agtdb.connect(dsn) as conn, conn.transaction():
        for stmt in migrate.statements(migrate.load()[1].down):
            conn.execute(stmt)
        conn.execute("DELETE FROM schema_migrations WHERE version > 1")


@scenario(FIX, variants=("prefix", "fixed"))
def test_migration_fault_at_every_step(ctx, pg_database_factory, pg_link) -> None:
    """SIGKILL (or a cut link) at every step of migration 002: wholly old or wholly new, a re-run completes it."""
    variants = f"{FIX}={ctx.variant}"
    reference = _reference(pg_database_factory)
    dsn = str(_fresh_v1(pg_database_factory).dsn)

    def reset() -> dict:
        _back_to_v1(dsn)
        return reference

    def upgrade(facts, link):
        return functools.partial(child_ops.migrate_op, through(dsn, link), variants)

    def recover(steps) -> None:
        steps.run("retry", child_ops.here(upgrade(steps.facts, None)))

    plans.every_step(
        ctx,
        dsn,
        pg_link,
        FAULT_CHECKS,
        op=upgrade,
        reset=reset,
        recover=recover,
        snapshot=lambda: agtdb.schema_of(dsn),
    )


@scenario(FIX, variants=("prefix", "fixed"))
def test_migration_idempotent_and_reversible(ctx, pg_database_factory) -> None:
    """Up twice: no error, same schema. Down: the old schema; down again: no error; up again: the new."""
    variants = Variants.only(FIX, ctx.variant)
    reference = _reference(pg_database_factory)
    dbs: list[str] = []

    def reset() -> dict:
        dbs.append(str(_fresh_v1(pg_database_factory).dsn))
        return reference

    def on_db(action):
        def run(steps) -> None:
            def act() -> None:
                with agtdb.connect(dbs[-1]) as conn:
                    action(conn)

            steps.run("runner", act, f=action.__name__, fail_on=(Exception,))

        return run

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

    def ends(want: str) -> list[Check]:
        return [Check("agt.no_error"), Check("agt.schema_is", want=want, stage="final")]

    explore_named(
        ctx,
        {
            "up_sql_twice": on_db(up_sql_twice),
            "down": on_db(down),
            "down_twice_then_up": on_db(down_twice_then_up),
        },
        checks={
            "up_sql_twice": ends("new"),
            "down": ends("old"),
            "down_twice_then_up": ends("new"),
        },
        reset=reset,
        snapshot=lambda: agtdb.schema_of(dbs[-1]),
    )

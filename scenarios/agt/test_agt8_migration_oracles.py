"""AGT-8 oracles: what the migration runner reports and leaves, and two runners at once
(issue 13).

From the fix's statement (the migration adding retry_count and its partial index
is idempotent and has a working down migration) and the runner's contract: on
an empty database ``upgrade`` applies and reports versions 1 and 2 and a second
run reports nothing; ``target=1`` stops before 2; ``downgrade(1)`` reverts 2
and reports it; running 002's SQL again at version 1 adds the column without
recording a version; a connection that is not autocommit is refused before
anything is written. Two runners at once (the second started while the first,
in a child, is paused inside migration 002): the second waits, then applies
nothing and fails nothing; the same for two runners reverting 002 at once (the
second, which read 002 as applied before the first committed, reverts nothing
and says so). Measured on the pre-fix variant (its defect, half a
migration after a kill, is test_agt8_migration's).
"""

from __future__ import annotations

import functools
from typing import Any

import psycopg

from harness.checkers import Check
from harness.crash import explore_named
from harness.scenario import scenario
from reference_impl.agt import Variants, migrate
from reference_impl.agt.errors import AgtError
from scenarios.agt import agtdb, blocked, child_ops, expect_checks

FIX = "AGT-8"
PAUSE_AT = "agt.migrate.v002.after_stmt1"
PAUSE_DOWN_AT = "agt.migrate.v002.down_after_stmt1"
assert expect_checks  # registers agt.step_is


def _empty(dsn: str) -> None:
    with agtdb.connect(dsn) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


def _schema(dsn: str) -> dict[str, Any]:
    with agtdb.connect(dsn) as conn:
        versions: list[int] = []
        if conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]:
            versions = [
                r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")
            ]
        column = conn.execute(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'commands' AND column_name = 'retry_count'"
        ).fetchone()[0]
        index = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_commands_retry_count'"
        ).fetchone()[0]
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
    return {
        "versions": versions,
        "retry_count": bool(column),
        "index": bool(index),
        "tables": tables,
    }


def _runs(dsn: str, variants: Variants, *calls: tuple[str, int | None]) -> list[Any]:
    out = []
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        for what, arg in calls:
            if what == "up":
                out.append(migrate.upgrade(conn, variants, target=arg))
            elif what == "down":
                out.append(migrate.downgrade(conn, arg or 0))
            else:
                migrate.run_up_sql(conn, arg or 0, variants)
                out.append(None)
    return out


def _not_autocommit(dsn: str, variants: Variants, what: str) -> Any:
    with psycopg.connect(dsn, autocommit=False, connect_timeout=5) as conn:
        if what == "up":
            return migrate.upgrade(conn, variants)
        return migrate.downgrade(conn, 0)


def _two_runners(dsn: str, variants: Variants, variant: str) -> dict[str, Any]:
    """Runner 1 in a child paused inside 002; runner 2 started here meanwhile."""
    first, second = blocked.second_waits(
        dsn,
        functools.partial(child_ops.migrate_op, dsn, f"{FIX}={variant}"),
        PAUSE_AT,
        lambda conn: migrate.upgrade(conn, variants),
        _one_line,
    )
    return {"first": first.value if first.error is None else first.error, "second": second}


def _two_down_runners(dsn: str) -> dict[str, Any]:
    """Runner 1 in a child paused inside 002's down migration; runner 2 reverts to 1
    meanwhile (both read version 2 as applied before either took the lock)."""
    first, second = blocked.second_waits(
        dsn,
        functools.partial(child_ops.migrate_down_op, dsn, 1),
        PAUSE_DOWN_AT,
        lambda conn: migrate.downgrade(conn, 1),
        _one_line,
    )
    return {"first": first.value if first.error is None else first.error, "second": second}


def _one_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


@scenario(FIX, variants=("prefix", "fixed"), measured=("prefix",))
def test_runner_reports_and_serializes(ctx, pg_database_factory) -> None:
    """upgrade applies and reports 1 and 2, then nothing; target and downgrade stop where
    told; 002's SQL again at v1 adds the column only; no autocommit, nothing written; a
    second runner during the first waits and applies nothing."""
    db = agtdb.fresh_from(pg_database_factory, "agt-mig-oracles", lambda dsn: None)
    dsn = str(db.dsn)
    variants = Variants.only(FIX, ctx.variant)
    runs = functools.partial(_runs, dsn, variants)

    def case(*calls: tuple[str, int | None], at_v1: bool = False):
        def run(steps) -> None:
            _empty(dsn)
            if at_v1:
                runs(("up", 1))
            steps.run("runner", functools.partial(runs, *calls), fail_on=(AgtError,))

        return run

    def refused(what: str):
        def run(steps) -> None:
            _empty(dsn)
            op = functools.partial(_not_autocommit, dsn, variants, what)
            steps.run("runner", op, fail_on=(AgtError,))

        return run

    def concurrent(steps) -> None:
        _empty(dsn)
        runs(("up", 1))
        op = functools.partial(_two_runners, dsn, variants, ctx.variant)
        steps.run("runner", op)

    def concurrent_down(steps) -> None:
        _empty(dsn)
        runs(("up", None))
        steps.run("runner", functools.partial(_two_down_runners, dsn))

    full = {"versions": [1, 2], "retry_count": True, "index": True}
    v1 = {"versions": [1], "retry_count": False, "index": False}

    def schema_is(want: dict[str, Any]) -> Check:
        return Check("agt.schema_summary_is", **want)

    explore_named(
        ctx,
        {
            "up_twice": case(("up", None), ("up", None)),
            "up_to_target_then_rest": case(("up", 1), ("up", None)),
            "down_to_1": case(("up", None), ("down", 1)),
            "up_sql_again_at_v1": case(("sql", 2), at_v1=True),
            "upgrade_needs_autocommit": refused("up"),
            "downgrade_needs_autocommit": refused("down"),
            "second_runner_meanwhile": concurrent,
            "second_down_runner_meanwhile": concurrent_down,
        },
        checks={
            "up_twice": [
                Check("agt.step_is", process="runner", want="ok", value=[[1, 2], []]),
                schema_is(full),
            ],
            "up_to_target_then_rest": [
                Check("agt.step_is", process="runner", want="ok", value=[[1], [2]]),
                schema_is(full),
            ],
            "down_to_1": [
                Check("agt.step_is", process="runner", want="ok", value=[[1, 2], [2]]),
                schema_is(v1),
            ],
            "up_sql_again_at_v1": [
                Check("agt.step_is", process="runner", want="ok", value=[None]),
                schema_is({"versions": [1], "retry_count": True, "index": True}),
            ],
            "upgrade_needs_autocommit": [
                Check("agt.step_is", process="runner", want="fail", error_has="MigrationError"),
                schema_is({"versions": [], "retry_count": False, "index": False}),
            ],
            "downgrade_needs_autocommit": [
                Check("agt.step_is", process="runner", want="fail", error_has="MigrationError"),
            ],
            "second_runner_meanwhile": [
                Check(
                    "agt.step_is", process="runner", want="ok", value={"first": [2], "second": []}
                ),
                schema_is(full),
            ],
            # reverted once between them: the second waits, then finds 002 gone
            "second_down_runner_meanwhile": [
                Check(
                    "agt.step_is", process="runner", want="ok", value={"first": [2], "second": []}
                ),
                schema_is(v1),
            ],
        },
        snapshot=lambda: _schema(dsn),
    )

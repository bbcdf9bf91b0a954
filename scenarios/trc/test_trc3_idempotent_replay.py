"""TRC-3: replay is idempotent: unique keys on spans (tenant, trace, span) and logs, added
by a migration that first removes the duplicates already stored (the seed deferred it).

Invariant: replaying the same batch twice, or crashing after the commit and before the
DLQ file is removed, leaves exactly one copy of each span and log; the dedup
migration killed at any step leaves the schema wholly old or wholly new, and once
it has run, exactly one copy of each row and nothing else lost.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import psycopg

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, Kill, explore_named
from harness.races import discover_steps, enumerate_schedules
from harness.scenario import scenario
from reference_impl.trc import Batch, migrate
from scenarios.trc import child_ops, trcdb
from scenarios.trc.batches import make_batch
from scenarios.trc.checks import at  # (importing it registers the trc.* checkers)
from scenarios.trc.invariants import RELATIONS

FIX = "TRC-3"
VARIANTS = ("prefix", "seed", "fixed")

REPLAY_CHECKS = [
    Check("no_orphans", relations=RELATIONS, snapshot=AFTER_FAULT),
    *at(AFTER_FAULT, "trc.batch_all_or_nothing", "trc.acked_batch_kept", "trc.one_copy"),
    *at(AFTER_FAULT, "trc.worker_settled"),
    *at(AFTER_RECOVERY, "trc.every_batch_stored", "trc.one_copy", "trc.dlq_drained"),
]


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_replay_same_batch_twice(ctx, trc_world) -> None:
    """A batch replayed from the DLQ, then dead-lettered and replayed again (its source
    delivered it twice): exactly one copy of each span and log."""
    batch = replace(make_batch(ctx.rng, "acme"), batch_id=_nth_id(1))
    other = replace(make_batch(ctx.rng, "umbra"), batch_id=_nth_id(2))  # replayed after it
    world = trc_world(ctx, batches=0, dead_lettered=[batch, other])
    op = functools.partial(
        child_ops.replay_twice,
        world.dsn,
        str(world.dlq_dir),
        world.variant.name,
        world.max_retries,
        batch,
    )
    checks = [*REPLAY_CHECKS, Check("trc.ops_reported", of="replay_twice")]
    world.explore(
        ctx, lambda link: op, [], checks, reset=lambda: world.reset() | {"again": batch.batch_id}
    )


def _nth_id(n: int) -> str:
    """A batch id that sorts nth among the DLQ's files."""
    return f"{n}0000000-0000-4000-8000-00000000000{n}"


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_replay_killed_at_every_step(ctx, trc_world) -> None:
    """The replayer SIGKILLed at every step of replaying a DLQ file, among them after the
    COMMIT and before the file's removal; then replayed to the end: one copy of each row."""
    world = trc_world(ctx, batches=0, dead_lettered=[make_batch(ctx.rng, "acme")])
    world.explore(ctx, world.replay_op, [Kill()], REPLAY_CHECKS)


MIGRATION_CHECKS = [
    *at(AFTER_FAULT, "trc.schema_whole", "trc.rows_kept"),
    *at(
        AFTER_RECOVERY,
        "trc.schema_whole",
        "trc.unique_keys_present",
        "trc.rows_kept",
        "trc.one_copy",
    ),
]


def _with_duplicates(batches: list[Batch]):
    def fresh(factory: Any, _variant: Any) -> Any:
        return factory(f"trc-dups-{batches[0].batch_id[:8]}", trcdb.with_duplicates(batches))

    return fresh


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_dedup_migration_killed_at_every_step(ctx, trc_world) -> None:
    """The variant's migrations run on tables holding each span and log three times, SIGKILLed
    at every statement: the schema wholly old or wholly new, nothing but copies removed;
    after the re-run, unique keys in place and exactly one copy of each row."""
    stored = [make_batch(ctx.rng, "acme", traces=2), make_batch(ctx.rng, "umbra")]
    world = trc_world(
        ctx, batches=0, fresh=_with_duplicates(stored), reclone=True, dead_lettered=()
    )

    def reset() -> dict[str, Any]:
        world.reset()
        return {"batches": [b.to_dict() for b in stored], "migrated_from": [1]}

    world.explore(
        ctx,
        lambda link: world.migrate_op(),
        [Kill()],
        MIGRATION_CHECKS,
        reset=reset,
        recover=lambda steps: steps.run("operator", world.migrate_here, f="migrate"),
    )


#: the schema every runner must reach (FIXES.md: 002 keys traces by tenant, TRC-4; 003 the
#: dedup and the unique keys, TRC-3)
HEAD = [1, 2, 3]


def _empty(factory: Any, _variant: Any) -> Any:
    """A database without any table (the factory keeps the schema of a database whose setup
    left no rows, so the tables the last schedule made are dropped here)."""
    db = factory("trc-empty", lambda dsn: None)
    with trcdb.connect(db.dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS schema_migrations, logs, spans, traces")
    return db


#: the crash point the two runners are interleaved at: after the first statement of 001
MIGRATION_POINTS = ["trc.migrate.v001.after_stmt1"]


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_two_migration_runners_on_an_empty_database(ctx, trc_world) -> None:
    """Two instances start at once against a new database and both run the migrations, every
    interleaving of their first statement: both return, every migration applied once between
    them, the schema whole with its unique keys."""
    world = trc_world(ctx, batches=0, fresh=_empty, reclone=True)
    # The two runners are one program on one database: a schedule and its mirror (the names
    # swapped) are the same execution, and the property (both return, each migration applied
    # once between them, the schema whole) does not tell the runners apart. So the steps are
    # counted on one runner, and of each mirror pair the schedule where migrate_a moves first
    # is run: every interleaving up to the runners' names (3 of the 6).
    one = discover_steps(
        {"migrate": world.migrate_op()}, setup=world.reset, points=MIGRATION_POINTS
    )
    steps = {"migrate_a": one["migrate"], "migrate_b": one["migrate"]}
    world.explore_schedules(
        ctx,
        {"migrate_a": world.migrate_op(), "migrate_b": world.migrate_op()},
        [
            *at("final", "trc.schema_whole", "trc.unique_keys_present"),
            Check("trc.applied_once", stage="final", want=HEAD),
        ],
        # on its own database: the world's is made anew for every schedule
        detector_dsn=str(world.factory("trc-detector", lambda dsn: None).dsn),
        schedules=[s for s in enumerate_schedules(steps) if s.steps[0] == "migrate_a"],
        points=MIGRATION_POINTS,
    )


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_migrations_run_by_hand(ctx, trc_world) -> None:
    """The migrations as an operator runs them: up, then each migration's SQL again by hand
    outside the runner (from 002 on every statement is ``IF [NOT] EXISTS``; 001 is the schema
    the seed found): no error, the schema the same; and the runner handed a connection
    inside a transaction its caller never commits: it reports applied only what the
    database keeps (refusing is fine; claiming versions that vanish is not)."""
    world = trc_world(ctx, batches=0, fresh=_empty, reclone=True)
    variant = world.variant

    def up_then_sql_again(steps: Any) -> None:
        def act() -> list[int]:
            with trcdb.connect(world.dsn) as conn:
                done = migrate.upgrade(conn, variant)
                for version in migrate.applied(conn)[1:]:
                    migrate.run_up_sql(conn, version)
                return done

        steps.run("operator", act, f="migrate_then_sql_again", fail_on=(Exception,))

    def in_a_transaction(steps: Any) -> None:
        def act() -> list[int]:
            conn = psycopg.connect(world.dsn)  # not autocommit: a transaction opens at once
            try:
                return migrate.upgrade(conn, variant)
            finally:
                conn.close()  # never committed: the caller forgot, or died

        steps.run("operator", act, f="migrate_in_a_transaction", fail_on=(Exception,))

    explore_named(
        ctx,
        {"up_then_sql_again": up_then_sql_again, "in_a_transaction": in_a_transaction},
        checks={
            "up_then_sql_again": [
                *at("final", "trc.schema_whole", "trc.unique_keys_present"),
                Check("trc.applied_once", stage="final", want=HEAD),
            ],
            "in_a_transaction": [Check("trc.applied_committed", stage="final")],
        },
        reset=world.reset,
        # the schema only: a refused runner leaves a database without tables
        snapshot=lambda: {
            "migrations": trcdb.applied(world.conn),
            "unique_keys": trcdb.unique_keys(world.conn),
        },
    )

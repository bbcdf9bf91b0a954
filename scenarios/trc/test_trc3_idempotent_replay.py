"""TRC-3: replay is idempotent: unique keys on spans (tenant, trace, span) and logs, added
by a migration that first removes the duplicates already stored (the seed deferred it).

Invariant: replaying the same batch twice, or crashing after the commit and before the
DLQ file is removed, leaves exactly one copy of each span and log; the dedup
migration killed at any step leaves the schema wholly old or wholly new, and once
it has run, exactly one copy of each row and nothing else lost.
"""

from __future__ import annotations

import functools
from typing import Any

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, Kill, explore_points
from harness.scenario import scenario
from reference_impl.trc import Batch
from scenarios.trc import checks as _registered  # noqa: F401  (registers the trc.* checkers)
from scenarios.trc import child_ops, trcdb
from scenarios.trc.batches import make_batch
from scenarios.trc.invariants import RELATIONS

FIX = "TRC-3"
VARIANTS = ("prefix", "seed", "fixed")

REPLAY_CHECKS = [
    Check("no_orphans", relations=RELATIONS, snapshot=AFTER_FAULT),
    Check("trc.batch_all_or_nothing", stage=AFTER_FAULT),
    Check("trc.acked_batch_kept", stage=AFTER_FAULT),
    Check("trc.one_copy", stage=AFTER_FAULT),
    Check("trc.every_batch_stored", stage=AFTER_RECOVERY),
    Check("trc.one_copy", stage=AFTER_RECOVERY),
    Check("trc.dlq_drained", stage=AFTER_RECOVERY),
]


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_replay_same_batch_twice(ctx, trc_world) -> None:
    """A batch replayed from the DLQ, then dead-lettered and replayed again (its source
    delivered it twice): exactly one copy of each span and log."""
    batch = make_batch(ctx.rng, "acme")
    world = trc_world(ctx, batches=0, dead_lettered=[batch])
    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(
            child_ops.replay_twice,
            world.dsn,
            str(world.dlq_dir),
            world.variant.name,
            world.max_retries,
            batch,
        ),
        faults=[],
        reset=world.reset,
        snapshot=world.state,
        recover=world.recover,
        checks=REPLAY_CHECKS,
    )


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_replay_killed_at_every_step(ctx, trc_world) -> None:
    """The replayer SIGKILLed at every step of replaying a DLQ file, among them after the
    COMMIT and before the file's removal; then replayed to the end: one copy of each row."""
    world = trc_world(ctx, batches=0, dead_lettered=[make_batch(ctx.rng, "acme")])
    explore_points(
        ctx,
        op=lambda facts, link: world.replay_op(link),
        faults=[Kill()],
        reset=world.reset,
        snapshot=world.state,
        recover=world.recover,
        checks=REPLAY_CHECKS,
    )


MIGRATION_CHECKS = [
    Check("trc.schema_whole", stage=AFTER_FAULT),
    Check("trc.rows_kept", stage=AFTER_FAULT),
    Check("trc.schema_whole", stage=AFTER_RECOVERY),
    Check("trc.unique_keys_present", stage=AFTER_RECOVERY),
    Check("trc.rows_kept", stage=AFTER_RECOVERY),
    Check("trc.one_copy", stage=AFTER_RECOVERY),
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
        return {"batches": [b.to_dict() for b in stored]}

    explore_points(
        ctx,
        op=lambda facts, link: world.migrate_op(),
        faults=[Kill()],
        reset=reset,
        snapshot=world.state,
        recover=lambda steps: steps.run("operator", world.migrate_here, f="migrate"),
        checks=MIGRATION_CHECKS,
    )

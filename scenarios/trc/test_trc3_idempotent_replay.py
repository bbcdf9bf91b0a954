"""TRC-3: replay is idempotent: unique keys on spans (tenant, trace, span) and logs, added
by a migration that first removes the duplicates already stored (the seed deferred it).

Invariant: replaying the same batch twice, or crashing after the commit and before the
DLQ file is removed, leaves exactly one copy of each span and log; the dedup
migration killed at any step leaves the schema wholly old or wholly new, and once
it has run, exactly one copy of each row and nothing else lost.
"""

from __future__ import annotations

from typing import Any

from harness.crash import CaseRun, explore_crashes
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from reference_impl.trc import Dlq, replay
from scenarios.trc import invariants, trcdb
from scenarios.trc.batches import make_batch
from scenarios.trc.world import World

FIX = "TRC-3"
VARIANTS = ("prefix", "seed", "fixed")


def _judge_replay(world: World) -> Verdict:
    state = world.state()
    batches = world.all_batches
    parts = [
        invariants.no_orphans(state),
        invariants.batch_all_or_nothing(state, batches),
        invariants.acked_batch_kept(state, batches),
        invariants.one_copy(state),
    ]
    if world.recovered:
        parts += [invariants.every_batch_stored(state, batches), invariants.dlq_drained(state)]
    return compose(state["phase"], parts)


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_replay_same_batch_twice(ctx, trc_world) -> None:
    """A batch replayed from the DLQ, then dead-lettered and replayed again (its source
    delivered it twice): exactly one copy of each span and log."""
    batch = make_batch(ctx.rng, "acme")
    world = trc_world(ctx, batches=0, dead_lettered=[batch])
    dlq = Dlq(world.dlq_dir, world.variant, world.max_retries)
    first = replay(world.conn, dlq)
    dlq.enqueue(batch)
    second = replay(world.conn, dlq)
    world.recovered = True
    ctx.record(
        "replay-twice",
        _judge_replay(world),
        detail={"first": first.stored, "second": second.stored, "state": world.state()},
    )
    ctx.explored(cases=1, replays=2)


def _replay_checker(world: World):
    def check(run: CaseRun) -> Verdict:
        verdict = _judge_replay(world)
        run.history.snapshot(world.state()["phase"], world.state())
        return verdict

    return check


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_replay_killed_at_every_step(ctx, trc_world) -> None:
    """The replayer SIGKILLed at every step of replaying a DLQ file, among them after the
    COMMIT and before the file's removal; then replayed to the end: one copy of each row."""
    world = trc_world(ctx, batches=0, dead_lettered=[make_batch(ctx.rng, "acme")])
    explore_crashes(
        world.replay_op(),
        setup=world.reset,
        check=_replay_checker(world),
        recover=world.recover,
        ctx=ctx,
    )


def _with_duplicates(batches):
    def fresh(factory: Any, _variant: Any) -> Any:
        return factory(f"trc-dups-{batches[0].batch_id[:8]}", trcdb.with_duplicates(batches))

    return fresh


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_dedup_migration_killed_at_every_step(ctx, trc_world) -> None:
    """The variant's migrations run on a table holding each span and log three times, SIGKILLed
    at every statement: the schema wholly old or wholly new, nothing but duplicates removed;
    after the re-run, unique keys in place and exactly one copy of each row."""
    stored = [make_batch(ctx.rng, "acme", traces=2), make_batch(ctx.rng, "umbra")]
    world = trc_world(ctx, batches=0, fresh=_with_duplicates(stored), reclone=True)

    def check(run: CaseRun) -> Verdict:
        state = world.state()
        run.history.snapshot(state["phase"], state)
        parts = [invariants.schema_whole(state), invariants.no_orphans(state)]
        parts.append(invariants.rows_kept(state, stored))
        if world.recovered:
            parts += [invariants.schema_new(state), invariants.one_copy(state)]
        return compose(state["phase"], parts)

    explore_crashes(
        world.migrate_op(),
        setup=world.reset,
        check=check,
        recover=world.recover_migration,
        ctx=ctx,
    )

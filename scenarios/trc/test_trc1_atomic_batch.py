"""TRC-1: a batch's traces, spans and logs are written in one transaction; any error or
worker crash rolls the whole batch back; a failed batch goes to the DLQ.

Invariant: no span without its trace, no log without its span, after a crash or a
link cut at any step; every acknowledged batch ends up stored or in the DLQ; after
recovery (the source delivers again what was never acknowledged, the DLQ is
replayed) every batch is stored.
"""

from __future__ import annotations

from harness.crash import CaseRun, at_points, explore_crashes, explore_faults
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from reference_impl.trc import MemorySource, Worker
from reference_impl.trc.dlq import Dlq
from scenarios.trc import invariants
from scenarios.trc.world import World

FIX = "TRC-1"
VARIANTS = ("prefix", "seed", "fixed")


def judge(world: World) -> Verdict:
    state = world.state()
    parts = [
        invariants.no_orphans(state),
        invariants.batch_all_or_nothing(state, world.batches),
        invariants.acked_batch_kept(state, world.batches),
    ]
    if world.recovered:
        parts += [
            invariants.every_batch_stored(state, world.batches),
            invariants.dlq_drained(state),
        ]
    return compose(state["phase"], parts)


def checker(world: World):
    def check(run: CaseRun) -> Verdict:
        verdict = judge(world)
        run.history.snapshot("after-recovery" if world.recovered else "after-run", world.state())
        return verdict

    return check


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_batch_killed_at_every_step(ctx, trc_world) -> None:
    """A worker SIGKILLed at every step of storing a batch: never a part of a batch, never an
    acknowledged batch lost; after recovery every batch is stored."""
    world = trc_world(ctx, batches=2)
    explore_crashes(
        world.ingest_op(), setup=world.reset, check=checker(world), recover=world.recover, ctx=ctx
    )


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_batch_link_cut_at_every_step(ctx, trc_world, pg_link) -> None:
    """The worker's database link cut at every step of storing a batch (the worker carries on
    and dead-letters what failed): never a part of a batch; after recovery every batch is stored."""
    world = trc_world(ctx, batches=2)
    explore_faults(
        world.ingest_op(pg_link),
        pg_link.cut,
        setup=world.reset,
        restore=pg_link.restore,
        check=checker(world),
        recover=world.recover,
        ctx=ctx,
    )


class WorkerBug(Exception):
    """The seed's worker panic, between BatchCreateTraces and BatchCreateSpans."""


def _panic() -> None:
    raise WorkerBug("worker exception between the trace and the span writes")


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_worker_exception_between_writes(ctx, trc_world) -> None:
    """The seed's own case: the worker raises between writing the traces and the spans. The
    batch goes to the DLQ whole and nothing of it stays in the tables; replay stores it."""
    world = trc_world(ctx, batches=1)
    batch = world.batches[0]
    source = MemorySource([batch])
    conn = world.conn
    worker = Worker(lambda: conn, Dlq(world.dlq_dir, world.variant, world.max_retries))
    with at_points({"trc.write.after_traces": _panic}) as points:
        outcome = worker.process_one(source)
    world.source_dir.joinpath("acked").write_text("".join(f"{i}\n" for i in source.acked))
    after_run = judge(world)
    world.recover()
    after_recovery = judge(world)
    verdict = compose("worker_exception", [after_run, after_recovery])
    ctx.record(
        "exception@trc.write.after_traces",
        verdict,
        detail={"outcome": str(outcome), "fired": points.fired, "state": world.state()},
    )
    ctx.explored(points=points.fired, cases=1)

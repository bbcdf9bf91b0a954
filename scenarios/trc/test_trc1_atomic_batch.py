"""TRC-1: a batch's traces, spans and logs are written in one transaction; any error or
worker crash rolls the whole batch back; a failed batch goes to the DLQ.

Invariant: no span without its trace, no log without its span, after a crash or a
link cut at any step; every acknowledged batch ends up stored or in the DLQ; after
recovery (the source delivers again what was never acknowledged, the DLQ is
replayed) every batch is stored.
"""

from __future__ import annotations

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, Cut, InProcess, Kill
from harness.scenario import scenario
from scenarios.trc import checks as _registered  # noqa: F401  (registers the trc.* checkers)
from scenarios.trc.batches import foreign_row_batch
from scenarios.trc.invariants import RELATIONS

FIX = "TRC-1"
VARIANTS = ("prefix", "seed", "fixed")

CHECKS = [
    Check("no_orphans", relations=RELATIONS, snapshot=AFTER_FAULT),
    Check("trc.batch_all_or_nothing", stage=AFTER_FAULT),
    Check("trc.acked_batch_kept", stage=AFTER_FAULT),
    Check("trc.worker_settled", stage=AFTER_FAULT),
    Check("no_orphans", relations=RELATIONS, snapshot=AFTER_RECOVERY),
    Check("trc.batch_all_or_nothing", stage=AFTER_RECOVERY),
    Check("trc.every_batch_stored", stage=AFTER_RECOVERY),
    Check("trc.dlq_drained", stage=AFTER_RECOVERY),
]


#: a worker settles its batches in well under a second: one that runs this long never will
WORKER_TIME_LIMIT_S = 10.0


def _explore(ctx, trc_world, faults, **options) -> None:
    """The source holds a batch and, after it, one that can never be stored (a span of
    another tenant): the worker must store the first and reject the second."""
    world = trc_world(ctx, batches=1, invalid=[foreign_row_batch(ctx.rng, "acme", "umbra")])
    world.explore(ctx, world.ingest_op, faults, CHECKS, timeout_s=WORKER_TIME_LIMIT_S, **options)


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_batch_killed_at_every_step(ctx, trc_world) -> None:
    """A worker SIGKILLed at every step of storing a batch: never a part of it stored, never
    acknowledged and lost; after recovery (delivered again, replayed) it is stored."""
    _explore(ctx, trc_world, [Kill()])


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_batch_link_cut_at_every_step(ctx, trc_world, pg_link) -> None:
    """The worker's database link cut at every step of storing a batch (the worker carries
    on and dead-letters what failed): never a part of a batch; after recovery it is stored."""
    _explore(ctx, trc_world, [Cut(pg_link)])


class WorkerBug(Exception):
    """The seed's worker panic (a bug between two writes), raised at a crash point."""


def _panic() -> None:
    raise WorkerBug("worker exception at a crash point")


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_worker_exception_at_every_step(ctx, trc_world) -> None:
    """The worker raises at every step of storing a batch, between the trace and the span
    writes among them (the seed's own case): the batch goes to the DLQ whole, nothing of it
    stays in the tables, and replay stores it."""
    # Not at the second batch's take: an in-process action does not fire at a repeated point
    # (``name#2``) in this engine; a raise there is outside the write, like the first take's.
    _explore(
        ctx,
        trc_world,
        [InProcess("exception", action=_panic)],
        skip_points=["trc.worker.took#2"],
    )

"""TRC-4: tenant isolation under concurrency and replay.

Invariant: concurrent ingestion and replay for several tenants never writes a row
under another tenant (no tenant's span hangs off another tenant's trace) and never
shows a tenant another tenant's rows through the read API, nor hides its own.
Two tenants send the same trace id, as W3C trace context does when a request
crosses a tenant boundary.
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.races import explore_hammer
from harness.scenario import scenario
from scenarios.trc import checks as _registered  # noqa: F401  (registers the trc.* checkers)
from scenarios.trc import child_ops
from scenarios.trc.batches import hex_id, make_batch
from scenarios.trc.invariants import RELATIONS

FIX = "TRC-4"
VARIANTS = ("prefix", "seed", "fixed")
TENANTS = ("acme", "umbra", "zeta")

CHECKS = [
    Check("no_orphans", relations=RELATIONS, snapshot="final"),
    Check("trc.tenant_reads_isolated", stage="final"),
    Check("trc.one_copy", stage="final"),
]
#: the schedules also know what they fed: both batches stored, whatever the interleaving
SCHEDULE_CHECKS = [
    *CHECKS,
    Check("trc.every_batch_stored", stage="final"),
    Check("trc.rows_in_key_order", stage="final"),
]
#: the step boundary of a schedule: between a worker's trace write and its span write,
#: where another tenant's write of the same trace id can come between
POINTS = ["trc.write.after_traces"]


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_ingest_and_replay_two_tenants_one_trace(ctx, trc_world) -> None:
    """Tenant acme ingests a batch while tenant umbra's batch on the same trace id is replayed
    from the DLQ: every interleaving of their write steps, each judged on the tables and on
    what the read API shows each tenant."""
    shared = hex_id(ctx.rng, 32)
    # each tenant's batch also has a trace of its own, listed before or after the shared one
    # so that one of them is out of key order (the write must put its rows in order)
    umbra = sorted([shared, hex_id(ctx.rng, 32)], reverse=True)
    acme = sorted([shared, hex_id(ctx.rng, 32)])[::-1]
    world = trc_world(ctx, batches=0, dead_lettered=[make_batch(ctx.rng, "umbra", trace_ids=umbra)])
    world.batches = [make_batch(ctx.rng, "acme", trace_ids=acme)]
    world.explore_schedules(
        ctx,
        {"ingest": world.ingest_op(), "replay": world.replay_op()},
        SCHEDULE_CHECKS,
        snapshot=lambda: world.state(tenants=("acme", "umbra")),
        points=POINTS,
    )


@scenario(FIX, variants=VARIANTS, measured=("seed",))
def test_tenants_hammering(ctx, trc_world) -> None:
    """Four processes ingesting and replaying batches of three tenants on a pool of two
    trace ids shared by all (seeded): no row written under, or read by, another tenant."""
    world = trc_world(ctx, batches=0)
    pool = [hex_id(ctx.rng, 32) for _ in range(2)]
    step = functools.partial(
        child_ops.hammer_step, world.dsn, str(world.dlq_dir), ctx.variant, TENANTS, pool
    )
    explore_hammer(
        ctx,
        step,
        rounds=2,
        processes=4,
        ops=4,
        f="ingest_or_replay",
        reset=world.reset,
        snapshot=lambda: world.state(tenants=TENANTS),
        checks=CHECKS,
    )

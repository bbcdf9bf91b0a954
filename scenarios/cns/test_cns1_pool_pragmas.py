"""CNS-1: WAL, busy timeout, foreign keys, the chosen synchronous level (FULL), a pool.

Invariant: the pragmas read back as stated on every pooled connection, and a
reader proceeds while a writer (another thread of the same process, the
seed's situation) holds the write lock. The store starts on a file the seed's
current code made while that code still reads it (a rolling upgrade): the busy
timeout is in force before the switch to WAL, which waits for the old reader.
With one connection holding the write lock the pool opens nine more, each
reads, an eleventh is refused after its wait; a connection given back inside a
transaction does not carry it to the next write.
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import explore_points
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import checks, data, files, ops, plans

VARIANTS = ("prefix", "seed", "fixed")


@scenario("CNS-1", variants=VARIANTS, measured=("seed",))
def test_pragmas_read_back(ctx: ScenarioContext, tmp_path) -> None:
    """``b`` (the old binary) holds a read lock; ``a`` starts the store, waits, gets through
    once ``b`` commits, then fills the pool under a writer."""
    template = data.legacy_template(tmp_path)
    path = str(tmp_path / "store.db")
    plans.against(
        ctx,
        path,
        {
            "a": functools.partial(ops.pool_under_a_writer, ctx.variant, path),
            "b": functools.partial(ops.old_reader, path),
        },
        checks=[
            Check("cns.ops_ok", f="pool_under_a_writer", processes=["a"]),
            Check("cns.pragmas", f="pool_under_a_writer", connections=checks.POOL_SIZE),
            Check("cns.pool_bounded", f="pool_under_a_writer"),
        ],
        schedules=["b,a,b,a"],
        setup=functools.partial(data.reset_to, template, tmp_path / "store.db"),
    )


@scenario("CNS-1", variants=VARIANTS, measured=("seed",))
def test_reader_beside_a_writer(ctx: ScenarioContext, tmp_path) -> None:
    template = data.legacy_template(tmp_path)  # a file the seed's current code made
    path = tmp_path / "store.db"
    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(ops.pragmas_and_pool, ctx.variant, str(path)),
        reset=lambda: data.reset_to(template, path),
        snapshot=lambda: files.snapshot(path),
        checks=[Check("cns.reader_proceeds", f="pragmas_and_pool")],
        points=[],
    )

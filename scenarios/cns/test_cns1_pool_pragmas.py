"""CNS-1: WAL, busy timeout, foreign keys, the chosen synchronous level (FULL), a pool.

Invariant: the pragmas read back as stated on every pooled connection, and a
reader proceeds while a writer (another thread of the same process, the
seed's situation) holds the write lock.
"""

from __future__ import annotations

import functools

from harness.checkers import Check
from harness.crash import explore_points
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import data, files, ops

VARIANTS = ("prefix", "seed", "fixed")


def _inspect(ctx: ScenarioContext, tmp_path, check: Check) -> None:
    template = data.legacy_template(tmp_path)  # a file the seed's current code made
    path = tmp_path / "store.db"
    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(ops.pragmas_and_pool, ctx.variant, str(path)),
        reset=lambda: data.reset_to(template, path),
        snapshot=lambda: files.snapshot(path),
        checks=[check],
        points=[],
    )


@scenario("CNS-1", variants=VARIANTS, measured=("seed",))
def test_pragmas_read_back(ctx: ScenarioContext, tmp_path) -> None:
    _inspect(ctx, tmp_path, Check("cns.pragmas", f="pragmas_and_pool"))


@scenario("CNS-1", variants=VARIANTS, measured=("seed",))
def test_reader_beside_a_writer(ctx: ScenarioContext, tmp_path) -> None:
    _inspect(ctx, tmp_path, Check("cns.reader_proceeds", f="pragmas_and_pool"))

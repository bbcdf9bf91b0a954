"""CNS-2: schema versions in PRAGMA user_version; each migration one IMMEDIATE transaction.

Invariant: SIGKILLed at any point of a start-up migration (on a file the seed's
current code left), the file is at a whole version with integrity_check ok; a
restart completes the migration to the design's last version; a further start
is a no-op, and needs no write lock (it starts while another connection holds
it, with no busy wait); two processes starting at once (competing, under chosen
interleavings) both start, and each version is applied by exactly one of them.
The power cut after every file operation the start-up migration made (the disk
model's SQLite VFS recorder) leaves the file at a whole version, integrity ok.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY
from harness.scenario import ScenarioContext, scenario
from reference_impl.cns import open_store
from scenarios.cns import data, ops, plans, power

VARIANTS = ("prefix", "seed", "fixed")
#: The last schema version of each design: the seed's plan has V1 (tables); the reference
#: V1 tables, V2 data, V3 incremental auto-vacuum (docs/cns.md); the seed's code versions V1.
LATEST = {"prefix": 1, "seed": 1, "fixed": 3}

POWER_CHECKS = [
    Check("cns.integrity", stage=power.AFTER_POWER),
    Check("cns.whole_version", stage=power.AFTER_POWER),
]


@scenario("CNS-2", variants=VARIANTS, measured=("seed",))
def test_killed_at_every_migration_point(ctx: ScenarioContext, tmp_path) -> None:
    plans.from_legacy(
        ctx,
        tmp_path,
        ops.open_close,
        checks=[
            Check("cns.integrity", stage=AFTER_FAULT),
            Check("cns.whole_version", stage=AFTER_FAULT),
            Check("cns.ops_ok", f="restart"),
            Check("cns.integrity", stage=AFTER_RECOVERY),
            Check("cns.migrated", stage=AFTER_RECOVERY, version=LATEST[ctx.variant]),
            Check("cns.rerun_no_op", f="rerun"),
            Check("cns.ops_ok", f="start_beside_a_writer"),
        ],
        recover=plans.steps_after(
            ctx.variant,
            ("restart", ops.open_close),
            ("rerun", ops.rerun),
            ("start_beside_a_writer", ops.start_beside_a_writer),
        ),
    )


@scenario("CNS-2", variants=VARIANTS, measured=("seed",))
def test_two_processes_migrate_at_once(ctx: ScenarioContext, tmp_path) -> None:
    """Both start on the legacy file and run the data migration. ``a,b``: a is paused at its
    first point (inside its migration) while b runs into it; ``b,a,a``: the other way round."""
    template = data.legacy_template(tmp_path)
    path = str(tmp_path / "store.db")
    op = functools.partial(ops.migrate_all, ctx.variant, path)
    plans.against(
        ctx,
        path,
        {"a": op, "b": op},
        checks=[
            Check("cns.ops_ok", f="migrate_all", processes=["a", "b"]),
            Check("cns.integrity", stage="final"),
            Check("cns.migrated_once", stage="final"),
            Check("cns.migrations_once", f="migrate_all"),
        ],
        schedules=["a,b", "b,a,a"],
        setup=functools.partial(data.reset_to, template, Path(path)),
        points=None,
    )


def _start(variant: str, root: Path, rec) -> None:
    with open_store(variant, root / "store.db", power.recording_config(rec)):
        pass  # opening migrates


@scenario("CNS-2", variants=VARIANTS, measured=("seed",))
def test_power_cut_during_migration(ctx: ScenarioContext, tmp_path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    shutil.copyfile(data.legacy_template(tmp_path), root / "store.db")
    power.explore_power(ctx, functools.partial(_start, ctx.variant, root), root, POWER_CHECKS)

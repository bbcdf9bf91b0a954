"""CNS-2: schema versions in PRAGMA user_version; each migration one IMMEDIATE transaction.

Invariant: SIGKILLed at any point of a start-up migration (on a file the seed's
current code left), the file is at a whole version with integrity_check ok; a
restart completes the migration; a further start is a no-op; two processes
starting at once (competing, under chosen interleavings) both start and migrate once.
The power cut after every file operation the start-up migration made (the disk
model's SQLite VFS recorder) leaves the file at a whole version, integrity ok.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from harness.checkers import Check
from harness.crash import AFTER_FAULT, AFTER_RECOVERY, explore_points
from harness.races import explore_schedules, make_detector
from harness.scenario import ScenarioContext, scenario
from reference_impl.cns import open_store
from scenarios.cns import data, files, ops, power

VARIANTS = ("prefix", "seed", "fixed")

KILLED_CHECKS = [
    Check("cns.integrity", stage=AFTER_FAULT),
    Check("cns.whole_version", stage=AFTER_FAULT),
    Check("cns.ops_ok", f="restart"),
    Check("cns.integrity", stage=AFTER_RECOVERY),
    Check("cns.migrated", stage=AFTER_RECOVERY),
    Check("cns.rerun_no_op", f="rerun"),
]
POWER_CHECKS = [
    Check("cns.integrity", stage=power.AFTER_POWER),
    Check("cns.whole_version", stage=power.AFTER_POWER),
]
CONCURRENT_CHECKS = [
    Check("cns.ops_ok", f="migrate_all", processes=["a", "b"]),
    Check("cns.integrity", stage="final"),
    Check("cns.migrated_once", stage="final"),
]


@scenario("CNS-2", variants=VARIANTS, measured=("seed",))
def test_killed_at_every_migration_point(ctx: ScenarioContext, tmp_path) -> None:
    template = data.legacy_template(tmp_path)
    path = tmp_path / "store.db"

    def recover(steps) -> None:
        steps.run("restart", functools.partial(ops.open_close, ctx.variant, str(path)), f="restart")
        steps.run("restart", functools.partial(ops.rerun, ctx.variant, str(path)), f="rerun")

    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(ops.open_close, ctx.variant, str(path)),
        reset=lambda: data.reset_to(template, path),
        snapshot=lambda: files.snapshot(path),
        recover=recover,
        checks=KILLED_CHECKS,
    )


@scenario("CNS-2", variants=VARIANTS, measured=("seed",))
def test_two_processes_migrate_at_once(ctx: ScenarioContext, tmp_path) -> None:
    """Both start on the legacy file and run the data migration. ``a,b``: a is paused at its
    first point (inside its migration) while b runs into it; ``b,a,a``: the other way round."""
    template = data.legacy_template(tmp_path)
    path = tmp_path / "store.db"
    op = functools.partial(ops.migrate_all, ctx.variant, str(path))
    explore_schedules(
        {"a": op, "b": op},
        checks=CONCURRENT_CHECKS,
        snapshot=lambda: files.snapshot(path),
        schedules=["a,b", "b,a,a"],
        setup=lambda: data.reset_to(template, path),
        blocking=make_detector("sqlite"),
        ctx=ctx,
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

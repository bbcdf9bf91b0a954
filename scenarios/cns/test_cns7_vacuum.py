"""CNS-7: incremental auto-vacuum.

Invariant: on a file the seed's current code made (auto_vacuum NONE), after a
bulk delete of 7/8 of the rows the store's vacuum leaves the file under half
its size (the no-fault case); SIGKILLed at any point of the deletes and the
vacuum, integrity_check is ok and nothing that was not deleted is lost. The file is started (migrated) once before
the cases, so every kill lands in the deletes and the vacuum.

Power cut during the vacuum (the disk model: SQLite's file operations recorded
at its VFS, every crash state a power loss allows rebuilt): after the bulk
delete was committed, the store's vacuum job runs and the file is closed; in
every crash state integrity_check is ok and every run kept before the vacuum is
still there. It does not flip by design (its pre-fix variants are measured):
the prefix has no vacuum and the seed's ``PRAGMA incremental_vacuum`` frees
nothing on a file whose auto_vacuum is NONE, so neither writes anything a
power cut could tear; SQLite's own incremental vacuum is a transaction. The
shrink is judged by the kill scenario's no-fault case (the power checks see a
crash state, not which one is the complete one).
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.checkers import Check
from harness.crash import AFTER_FAULT, explore_points
from harness.scenario import ScenarioContext, scenario
from reference_impl.cns import open_store
from scenarios.cns import data, files, ops, power, vacuum_ops

VARIANTS = ("prefix", "seed", "fixed")
KEPT_SPEC = "SPEC-7"  # ops.delete_and_vacuum deletes SPEC-0
#: Power cut: a small file (16 runs of 2 outputs, 14 deleted; 44 pages, 16 after the
#: vacuum): every write of the job is a crash point (31 operations, 275 crash states for
#: fixed; 48 runs made 95 and 1,400 states for no new kind), so the file is as small as
#: still leaves pages to free in the file and in the WAL.
POWER_RUNS = 16
POWER_AGENTS = 2
#: A job that never ends (a loop that does not stop) gets a verdict, not a hang: the
#: job takes about a second here, ten times that under load.
JOB_TIMEOUT_S = 15.0
POWER_CHECKS = [
    Check("cns.integrity", stage=power.AFTER_POWER),
    Check("cns.acked_survive", stage=power.AFTER_POWER),
]


def _bloated(variant: str, tmp_path):
    """The seed's file, then started once by ``variant`` here, unfaulted: the kills are at
    the deletes and the vacuum (CNS-2's scenarios kill the migration that start runs)."""
    runs = [
        data.run(n, spec="SPEC-7" if n % 8 == 7 else "SPEC-0", agents=4, pad=1500)
        for n in range(240)
    ]
    template = tmp_path / "started-template.db"
    shutil.copyfile(data.legacy_template(tmp_path, runs), template)
    ops.open_close(variant, str(template))
    kept = sum(len(r.outputs) for r in runs if r.spec_id == KEPT_SPEC)
    return template, kept


def _killed_at_every_point(
    ctx: ScenarioContext,
    job: Callable[[], Any],
    reset: Callable[[], dict],
    snapshot: Callable[[], Any],
    checks: list[Check],
) -> None:
    explore_points(
        ctx,
        op=lambda facts, link: job,
        reset=reset,
        snapshot=snapshot,
        checks=checks,
        timeout_s=JOB_TIMEOUT_S,
    )


@scenario("CNS-7", variants=VARIANTS, measured=("seed",))
def test_file_shrinks_and_survives_a_kill(ctx: ScenarioContext, tmp_path) -> None:
    template, kept = _bloated(ctx.variant, tmp_path)
    path = tmp_path / "store.db"

    def reset() -> dict:
        data.reset_to(template, path)
        return {"bytes": files.snapshot(path)["bytes"], "kept": kept, "kept_spec": KEPT_SPEC}

    _killed_at_every_point(
        ctx,
        functools.partial(ops.delete_and_vacuum, ctx.variant, str(path)),
        reset,
        lambda: files.snapshot(path),
        [
            Check("cns.integrity", stage=AFTER_FAULT),
            Check("cns.kept_rows", stage=AFTER_FAULT),
            Check("cns.shrinks", stage=AFTER_FAULT, ratio=0.5),
        ],
    )


def _kept_label(n: int) -> str:
    return f"KEEP-{n}/{data.run(n).stage}"


def _vacuum(variant: str, root: Path, kept: list[str], rec) -> None:
    for label in kept:  # committed and checkpointed before the vacuum starts
        rec.ack(label)
    with open_store(variant, root / "store.db", power.recording_config(rec)) as store:
        store.vacuum()


@scenario("CNS-7", variants=VARIANTS, measured=("prefix", "seed"))
def test_power_cut_during_vacuum(ctx: ScenarioContext, tmp_path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    path = root / "store.db"
    runs = [
        data.run(n, spec=f"KEEP-{n}" if n % 8 == 7 else "SPEC-0", agents=POWER_AGENTS, pad=1500)
        for n in range(POWER_RUNS)
    ]
    shutil.copyfile(data.legacy_template(tmp_path, runs), path)
    with open_store(ctx.variant, path, ops.config()) as store:  # started, then the bulk delete
        store.delete_spec("SPEC-0")
    kept = [_kept_label(r) for r in range(POWER_RUNS) if r % 8 == 7]
    power.explore_power(
        ctx, functools.partial(_vacuum, ctx.variant, root, kept), root, POWER_CHECKS
    )


@scenario("CNS-7", variants=VARIANTS, measured=("seed",))
def test_vacuum_frees_in_chunks(ctx: ScenarioContext, tmp_path) -> None:
    """The job frees at most one chunk (1024 pages, 4 MiB) per step and every free page by
    its end, and the file is under half its size while the store is still open; killed
    after any step, integrity ok and the kept runs intact."""
    template = vacuum_ops.chunked_template(ctx.variant, tmp_path)
    path = tmp_path / "store.db"
    kept = [_kept_label(n) for n in range(vacuum_ops.RUNS) if n % 16 == 0]

    def reset() -> dict:
        data.reset_to(template, path)
        snap = vacuum_ops.snapshot(path)
        return {"bytes": snap["bytes"], "free": snap["freelist"], "acked": kept}

    _killed_at_every_point(
        ctx,
        functools.partial(vacuum_ops.vacuum_job, ctx.variant, str(path)),
        reset,
        lambda: vacuum_ops.snapshot(path),
        [
            Check("cns.integrity", stage=AFTER_FAULT),
            Check("cns.vacuum_step_bounded", stage=AFTER_FAULT, pages=vacuum_ops.CHUNK_PAGES),
            Check("cns.vacuum_complete", f="vacuum_job"),
            Check("cns.acked_survive", stage=AFTER_FAULT),
        ],
    )

"""CNS-7: incremental auto-vacuum.

Invariant: on a file the seed's current code made (auto_vacuum NONE), after a
bulk delete of 7/8 of the rows the store's vacuum leaves the file under half
its size (the no-fault case); SIGKILLed at any point of the deletes and the
vacuum, integrity_check is ok and nothing that was not deleted is lost. The file is started (migrated) once before
the cases, so every kill lands in the deletes and the vacuum.
"""

from __future__ import annotations

import functools
import shutil

from harness.checkers import Check
from harness.crash import AFTER_FAULT, explore_points
from harness.scenario import ScenarioContext, scenario
from scenarios.cns import data, files, ops

VARIANTS = ("prefix", "seed", "fixed")
KEPT_SPEC = "SPEC-7"  # ops.delete_and_vacuum deletes SPEC-0


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


@scenario("CNS-7", variants=VARIANTS, measured=("seed",))
def test_file_shrinks_and_survives_a_kill(ctx: ScenarioContext, tmp_path) -> None:
    template, kept = _bloated(ctx.variant, tmp_path)
    path = tmp_path / "store.db"

    def reset() -> dict:
        data.reset_to(template, path)
        return {"bytes": files.snapshot(path)["bytes"], "kept": kept, "kept_spec": KEPT_SPEC}

    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(ops.delete_and_vacuum, ctx.variant, str(path)),
        reset=reset,
        snapshot=lambda: files.snapshot(path),
        checks=[
            Check("cns.integrity", stage=AFTER_FAULT),
            Check("cns.kept_rows", stage=AFTER_FAULT),
            Check("cns.shrinks", stage=AFTER_FAULT, ratio=0.5),
        ],
    )

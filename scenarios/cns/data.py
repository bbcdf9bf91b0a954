"""What the scenarios store: consensus runs, and the legacy file the seed's code leaves."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from reference_impl.cns import AgentOutput, ConsensusRun, StoreConfig, Synthesis, open_store
from reference_impl.cns.legacy import write_legacy


def run(
    n: int, *, spec: str | None = None, agents: int = 3, run_id: str | None = "r", pad: int = 0
) -> ConsensusRun:
    return ConsensusRun(
        spec_id=spec or f"SPEC-{n}",
        stage="plan" if n % 2 else "tasks",
        run_id=None if run_id is None else f"{run_id}{n}",
        created_at=f"2025-11-13T10:{n // 60 % 60:02d}:{n % 60:02d}.{(n * 37) % 1000:03d}Z",
        outputs=tuple(
            AgentOutput(f"agent{a}", f'{{"n": {n}, "agent": {a}}}' + " " * pad, f"response {n}/{a}")
            for a in range(agents)
        ),
        synthesis=Synthesis(f"# run {n}", "ok" if n % 5 else "conflict", degraded=n % 3 == 0),
    )


#: Runs that share the spec of ``run(1)`` (SPEC-1, plan, r1): another stage, another run id of
#: the same stage, the same stage with no run id. A statement that finds a run by only part
#: of its key (spec, stage, run id) picks one of these.
NEIGHBOURS = [run(2, spec="SPEC-1"), run(3, spec="SPEC-1"), run(5, spec="SPEC-1", run_id=None)]

#: A legacy file with what makes a migration hard: NULL run ids, sub-second times,
#: responses, degraded and failed syntheses, runs sharing a spec (and a stage), and a run
#: no synthesis judged.
LEGACY_RUNS = [
    *(run(n, run_id=None if n % 4 == 0 else "r") for n in range(1, 9)),
    *NEIGHBOURS,
    dataclasses.replace(run(11, spec="SPEC-1"), stage="review", synthesis=None),
]


def legacy_template(directory: Path, runs: list[ConsensusRun] | None = None) -> Path:
    path = directory / "legacy-template.db"
    if not path.exists():
        write_legacy(path, LEGACY_RUNS if runs is None else runs)
    return path


#: Runs the release before stored while dual-writing, before the one-time copy of the flat
#: rows ran: one under a key the flat rows already hold (SPEC-1, plan, no run id: a caller
#: that gives no run id, as ``NEIGHBOURS``' third), one under a new key.
DUAL_WRITTEN = [run(21, spec="SPEC-1", run_id=None), run(22)]


def dual_write_template(directory: Path) -> Path:
    """The legacy file in the seed's phase 2 before its one-time migration ran: the release
    before (the prefix, whose V1 is the reference's) created the new tables, at version 1,
    and dual-wrote ``DUAL_WRITTEN`` (old and new rows, linked); the flat rows from before
    are not copied yet. Made in the calling process, so a mutation run's V1 makes it."""
    path = directory / "dual-write-template.db"
    if not path.exists():
        shutil.copyfile(legacy_template(directory), path)
        with open_store("prefix", path, StoreConfig()) as store:
            for r in DUAL_WRITTEN:
                store.store_run(r)
    return path


def reset_to(template: Path | None, path: Path) -> None:
    """The case's file: a copy of the template (None: no file), no journal or WAL left from
    the last case."""
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    if template is None:
        path.unlink(missing_ok=True)
    else:
        shutil.copyfile(template, path)

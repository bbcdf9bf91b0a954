"""The shapes the CNS scenarios share, each one engine call: a start on the file the seed's
current code left, one run stored into a started store, a write against a competing process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.checkers import Check
from harness.crash import explore_points
from harness.races import explore_schedules, make_detector
from harness.scenario import ScenarioContext
from scenarios.cns import data, files, ops

Recover = Callable[[Any], object]

#: The run every "store one run" case writes (ops.store_runs(..., 1, 1)), and what is already
#: in the file: runs that share its spec (and its stage), so a statement that finds a run by
#: part of its key picks the wrong one.
RUN = data.run(1)
WRITTEN = {"written": [f"{RUN.spec_id}/{RUN.stage}/{RUN.run_id}"], "agents": len(RUN.outputs)}


def steps_after(variant: str, *steps: tuple[str, Callable[[str, str], object]]) -> Any:
    """The recovery of a case, for its file: each ``(f, op)`` run here as a step,
    ``op(variant, path)``, recorded as ``f``."""

    def for_file(path: str) -> Recover:
        def recover(run: Any) -> None:
            for f, op in steps:
                run.run("restart", functools.partial(op, variant, path), f=f)

        return recover

    return for_file


def from_legacy(
    ctx: ScenarioContext,
    tmp_path: Path,
    op: Callable[[str, str], object],
    checks: Sequence[Check],
    recover: Callable[[str], Recover] | None = None,
    points: Sequence[str] | None = None,
    template: Path | None = None,
) -> None:
    """``op(variant, path)`` in a child on a copy of the legacy file (or of ``template``),
    killed at every point (or at ``points``); ``recover(path)`` gives the recovery steps."""
    template = template or data.legacy_template(tmp_path)
    path = tmp_path / "store.db"
    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(op, ctx.variant, str(path)),
        reset=lambda: data.reset_to(template, path),
        snapshot=lambda: files.snapshot(path),
        recover=None if recover is None else recover(str(path)),
        checks=checks,
        points=points,
    )


def storing_one_run(
    ctx: ScenarioContext,
    tmp_path: Path,
    checks: Sequence[Check],
    recover: Callable[[str], Recover] | None = None,
) -> None:
    """``RUN`` stored by a child into a started store that holds ``data.NEIGHBOURS``, killed
    at every point; the facts say what was written."""
    template, path = tmp_path / "started.db", tmp_path / "store.db"
    ops.prepare(ctx.variant, str(template), tuple(data.NEIGHBOURS))

    def reset() -> dict[str, Any]:
        data.reset_to(template, path)
        return WRITTEN

    explore_points(
        ctx,
        op=lambda facts, link: functools.partial(ops.store_runs, ctx.variant, str(path), 1, 1),
        reset=reset,
        snapshot=lambda: files.snapshot(path),
        recover=None if recover is None else recover(str(path)),
        checks=checks,
    )


#: The points that bound the workers' steps under a schedule (a store's start-up passes
#: others). A point passed again is numbered (``name#2``, ...): each pass bounds a step.
STEP_POINTS = [
    *(
        f"{p}{n}"
        for p in ("cns.upsert.after_read", "cns.retry.before_backoff")
        for n in ("", "#2", "#3", "#4", "#5", "#6")
    ),
    "cns.competitor.holding",
    "cns.reader.holding",
    "cns.open.ready",
]


def against(
    ctx: ScenarioContext,
    path: str,
    workers: dict[str, Callable[[], object]],
    checks: Sequence[Check],
    schedules: Sequence[str],
    setup: Callable[[], object] | None = None,
    points: Sequence[str] | None = STEP_POINTS,
) -> None:
    """The workers (module-level partials: they travel to the children) on the store file
    ``path`` under the ``schedules``, their steps bounded by ``points`` (None: every point);
    ``setup`` before each (default: a started, empty store of the variant)."""
    explore_schedules(
        workers,
        checks=checks,
        snapshot=lambda: files.snapshot(Path(path)),
        schedules=list(schedules),
        setup=setup or functools.partial(ops.prepare, ctx.variant, path),
        blocking=make_detector("sqlite"),
        points=points,
        ctx=ctx,
    )

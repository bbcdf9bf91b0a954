"""CNS-7's checkers of the chunked vacuum, registered: pure functions of the record.

Facts (from the scenario's reset): ``free`` (free pages before the job), ``bytes`` (the
file's size before it). The snapshot (``vacuum_ops.snapshot``) adds ``freelist``.
"""

from __future__ import annotations

from typing import Any

from harness.checkers.registry import register
from harness.history import History
from harness.verdict import Verdict
from scenarios.cns.checks import _hist, _last_ok, _snap

_SNAP = {"integrity": ["ok"], "bytes": 100}
FIRST_CHUNK = "cns.vacuum.chunk"  # the point after the job's first step


def _freelist(history: History, stage: str) -> int:
    snap: dict[str, Any] = _snap(history, stage)
    if "freelist" not in snap:
        raise LookupError(f"snapshot {stage!r} has no freelist count (vacuum_ops.snapshot)")
    return int(snap["freelist"])


@register(
    "cns.vacuum_step_bounded",
    example={"stage": "after_fault", "pages": 1024},
    examples=[
        (
            _hist(
                meta={"facts": {"free": 1025}, "point": FIRST_CHUNK},
                after_fault={**_SNAP, "freelist": 1},
            ),
            {"pages": 1024},
            "valid",
        ),
        (
            _hist(
                meta={"facts": {"free": 1025}, "point": FIRST_CHUNK},
                after_fault={**_SNAP, "freelist": 0},
            ),
            {"pages": 1024},
            "invalid",
        ),
        (
            _hist(
                meta={"facts": {"free": 1025}, "point": FIRST_CHUNK},
                after_fault={**_SNAP, "freelist": 1025},
            ),
            {"pages": 1024},
            "invalid",
        ),
        (
            _hist(meta={"facts": {"free": 1025}}, after_fault={**_SNAP, "freelist": 0}),
            {"pages": 1024},
            "valid",
        ),
    ],
)
def vacuum_step_bounded(history: History, *, stage: str = "after_fault", pages: int) -> Verdict:
    """Killed after the job's first step: that step freed some pages and at most ``pages``
    (the stated chunk), so a writer waits one chunk, not the whole job."""
    if history.meta.get("point") != FIRST_CHUNK:
        return Verdict.ok("cns.vacuum_step_bounded", "not killed after the first step")
    freed = history.meta["facts"]["free"] - _freelist(history, stage)
    if 1 <= freed <= pages:
        return Verdict.ok("cns.vacuum_step_bounded", f"first step freed {freed} pages (<= {pages})")
    return Verdict.violated(
        "cns.vacuum_step_bounded",
        f"first step freed {freed} pages: not between 1 and the stated {pages}",
        freed=freed,
    )


@register(
    "cns.vacuum_complete",
    example={"f": "vacuum_job"},
    examples=[
        (
            _hist(
                [("child", "ok", "vacuum_job", {"bytes_open": 40, "reported_before": 100})],
                meta={"facts": {"bytes": 100}},
                after_fault={**_SNAP, "freelist": 0},
            ),
            {"f": "vacuum_job"},
            "valid",
        ),
        (
            _hist(
                [("child", "ok", "vacuum_job", {"bytes_open": 40, "reported_before": 100})],
                meta={"facts": {"bytes": 100}},
                after_fault={**_SNAP, "freelist": 1},
            ),
            {"f": "vacuum_job"},
            "invalid",
        ),
        (
            _hist(
                [("child", "ok", "vacuum_job", {"bytes_open": 50, "reported_before": 100})],
                meta={"facts": {"bytes": 100}},
                after_fault={**_SNAP, "freelist": 0},
            ),
            {"f": "vacuum_job"},
            "invalid",
        ),
        (
            _hist(meta={"facts": {"bytes": 100}, "point": FIRST_CHUNK}, after_fault=_SNAP),
            {"f": "vacuum_job"},
            "valid",
        ),
    ],
)
def vacuum_complete(
    history: History, *, f: str, stage: str = "after_fault", ratio: float = 0.5
) -> Verdict:
    """The job ran to its end (no kill): no free page is left, the file was under ``ratio``
    of its size while the store was still open (op value ``bytes_open``), and the size
    the job reports it started from is the file's (``reported_before``: facts ``bytes``)."""
    if history.meta.get("point"):
        return Verdict.ok("cns.vacuum_complete", f"killed at {history.meta['point']}")
    left = _freelist(history, stage)
    before = history.meta["facts"]["bytes"]
    done = _last_ok(history, f)
    open_bytes = done["bytes_open"]
    problems = []
    if done["reported_before"] != before:
        problems.append(
            f"job reports {done['reported_before']} bytes before, the file had {before}"
        )
    if left:
        problems.append(f"{left} free page(s) left")
    if not open_bytes < ratio * before:
        problems.append(f"file {before} -> {open_bytes} bytes while open: not under {ratio:.0%}")
    if problems:
        return Verdict.violated("cns.vacuum_complete", "; ".join(problems), left=left)
    return Verdict.ok(
        "cns.vacuum_complete", f"0 free pages; {before} -> {open_bytes} bytes while open"
    )

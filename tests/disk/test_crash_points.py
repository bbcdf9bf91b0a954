"""Power loss combined with a kill at a named crash point: the recorded child SIGKILLs
itself there; what it wrote up to then is exactly the full run's trace up to that point's
mark, so ``Bounds(crash_points="points")`` on one full recording explores every point."""

from __future__ import annotations

import functools
from pathlib import Path

from harness.disk import Bounds, acked_recovered, explore, record_call
from tests.disk import writers


def _record(tmp: Path, kill_at: str | None = None):
    root = tmp / "root"
    (root / "q").mkdir(parents=True)
    return record_call(functools.partial(writers.safe, str(root)), root, kill_at=kill_at)


def test_a_kill_at_a_point_writes_the_trace_up_to_its_mark(tmp_path: Path) -> None:
    full = _record(tmp_path / "full")
    points = full.trace.marks("point")
    assert [label for _, label in points] == [
        "toy.queue.after_rename",
        "toy.queue.after_rename#2",
        "toy.queue.after_rename#3",
    ]
    killed = _record(tmp_path / "killed", kill_at="toy.queue.after_rename#2")
    assert killed.killed
    mark = points[1][0]
    assert killed.trace.ops == full.trace.ops[: mark + 1]
    # killed after entry 1's rename, before its directory fsync and ack: nothing acked is lost
    result = explore(
        killed.trace,
        recover=writers.read_queue,
        check=acked_recovered(writers.ok_entries),
        bounds=Bounds(crash_points="points"),
        models=("weakest", "ext4-ordered"),
    )
    assert result.failing == []
    assert {r.state.index for r in result.results} == {points[0][0], mark}

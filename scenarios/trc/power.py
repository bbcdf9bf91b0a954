"""Power-loss workloads for TRC-2, recorded by ``harness.disk`` in a fresh process.

Module-level functions over picklable arguments. The enqueue workload imports no
psycopg (its recording pays for what it imports, under a tracer).
``harness.disk.ack`` marks each call that returned to its caller: an enqueue
returned (the worker would acknowledge the batch now), a replay pass returned.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.disk import ack
from reference_impl.trc import Batch, Dlq, variant

WHERE = ("pending", "evicted", "set-aside")


def enqueue_batches(dlq_dir: str, variant_name: str, batches: Sequence[Batch]) -> None:
    dlq = Dlq(dlq_dir, variant(variant_name))
    before = _open_fds()
    for batch in batches:
        dlq.enqueue(batch)
        ack(f"enqueued:{batch.batch_id}")
        # a worker enqueues for as long as it runs: a returned enqueue holds no descriptor
        ack(f"fds_left:{_open_fds() - before}")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def replay_passes(dsn: str, dlq_dir: str, variant_name: str, max_retries: int, passes: int) -> None:
    from reference_impl.trc import replay
    from scenarios.trc import trcdb

    dlq = Dlq(dlq_dir, variant(variant_name), max_retries)
    with trcdb.connect(dsn) as conn:
        for n in range(1, passes + 1):
            replay(conn, dlq)
            ack(f"pass:{n}")


def listing(dlq_dir: Path, expected: Sequence[Batch]) -> list[dict[str, Any]]:
    """Every DLQ file wherever it is, read as plain JSON (not with the code under test):
    its batch id and attempts from the name, and whether it holds one expected batch whole."""
    bodies = {b.batch_id: b.to_dict() for b in expected}
    out = []
    for where in WHERE:
        d = dlq_dir if where == "pending" else dlq_dir / where
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.json")):
            stem, _, rest = path.name.partition(".")
            attempts = int(rest[1:].split(".")[0]) if rest.startswith("a") else 0
            try:
                body = json.loads(path.read_bytes())["batch"]
            except (ValueError, KeyError, TypeError):
                body = None
            whole = body is not None and bodies.get(stem) == body
            out.append(
                {
                    "where": where,
                    "name": path.name,
                    "batch": stem,
                    "attempts": attempts,
                    "whole": whole,
                }
            )
    return out


def files_of(dlq_dir: Path) -> dict[str, bytes]:
    """The pending DLQ files a replayer would see, by name, with their bytes."""
    return {p.name: p.read_bytes() for p in sorted(dlq_dir.glob("*.json")) if p.is_file()}


def commit_points(trace: Any) -> dict[str, int | None]:
    """The ops after which the batch's COMMIT had possibly taken effect (``commit_sent``: its
    last write sent, the COMMIT may be in flight) and certainly (``commit_done``: the write
    returned), read from the crash points the recording passed: the facts
    ``scenarios.trc.invariants.commit_window`` reads."""
    points = {label.split("#")[0]: i for i, label in trace.marks("point")}
    sent = points.get("trc.write.after_logs")
    done = points.get("trc.write.after_commit", sent)  # prefix: autocommit, done when sent
    return {"commit_sent": sent, "commit_done": done}

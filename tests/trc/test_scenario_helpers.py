"""The TRC scenarios' own helpers: what they read from a trace and a DLQ directory."""

from __future__ import annotations

import random
from pathlib import Path

from harness.disk import Op, Trace
from reference_impl.trc.envelope import encode
from scenarios.trc import child_ops, invariants, power
from scenarios.trc.batches import make_batch


def _trace(*points: str) -> Trace:
    ops = []
    for p in points:
        ops.append(Op("write", ino=0, data=b"x"))
        ops.append(Op("mark", label=p, mark_kind="point"))
    return Trace(ops=ops)


def _window(trace: Trace, op: int) -> tuple[bool, bool]:
    """The commit window of a state cut after ``op``, from the facts a scenario records."""
    return invariants.commit_window({**power.commit_points(trace), "op": op})


def test_commit_window_in_a_transaction() -> None:
    t = _trace("trc.write.after_spans", "trc.write.after_logs", "trc.write.after_commit")
    # ops: 0 w, 1 after_spans, 2 w, 3 after_logs, 4 w, 5 after_commit
    assert _window(t, 2) == (False, False)
    assert _window(t, 3) == (True, False)  # COMMIT in flight
    assert _window(t, 5) == (True, True)


def test_commit_window_in_autocommit_is_done_when_sent() -> None:
    t = _trace("trc.write.after_logs")
    assert _window(t, 0) == (False, False)
    assert _window(t, 1) == (True, True)


def test_listing_reads_names_and_bodies_without_the_code_under_test(tmp_path: Path) -> None:
    rng = random.Random(3)
    good, torn = make_batch(rng, "acme"), make_batch(rng, "acme")
    (tmp_path / f"{good.batch_id}.a2.json").write_bytes(encode(good))
    (tmp_path / "evicted").mkdir()
    (tmp_path / "evicted" / f"{torn.batch_id}.a3.json").write_bytes(encode(torn)[:40])
    got = {
        (f["where"], f["batch"], f["attempts"], f["whole"])
        for f in power.listing(tmp_path, [good, torn])
    }
    assert got == {("pending", good.batch_id, 2, True), ("evicted", torn.batch_id, 3, False)}


def test_the_file_source_keeps_acknowledgements_across_instances(tmp_path: Path) -> None:
    rng = random.Random(4)
    a, b = make_batch(rng, "acme"), make_batch(rng, "umbra")
    child_ops.write_source(tmp_path, [a, b])
    first = child_ops.FileSource(str(tmp_path))
    assert first.take() == a
    first.ack(a.batch_id)
    first.reject(b.batch_id, "no tenant")
    again = child_ops.FileSource(str(tmp_path))  # a worker started after a crash
    assert again.take() is None
    assert child_ops.acked(tmp_path) == [a.batch_id]

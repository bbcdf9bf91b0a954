"""The model is wrong if it disagrees with these (issue 10's calibration)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from harness.disk import Exploration, Recording, Trace, acked_recovered, explore, record_call
from harness.disk.sqlite import record_sqlite
from tests.disk import sqlite_workload, writers

BOTH = ("weakest", "ext4-ordered")
CHECK = acked_recovered(writers.ok_entries)


def run(rec: Recording) -> Exploration:
    return explore(rec.trace, recover=writers.read_queue, check=CHECK, models=BOTH)


def test_no_fsync_loses_an_acknowledged_entry_under_both_models(
    recorded: dict[str, Recording],
) -> None:
    result = run(recorded["no_fsync"])
    for model in BOTH:
        lost = result.failing_under(model)
        assert lost, f"{model}: no state lost an entry written without fsync"
    # the simplest such state: the power cut right after the first ack, nothing pending kept
    first_ack = recorded["no_fsync"].trace.marks("ack")[0][0]
    ids = {r.state.id for r in result.failing_under("weakest")}
    assert f"op{first_ack}:keep=none" in ids


def test_fsync_without_directory_fsync_loses_a_new_entry_under_weakest_only(
    recorded: dict[str, Recording],
) -> None:
    result = run(recorded["fsync_file_only"])
    lost = result.failing_under("weakest")
    assert lost
    # the data was synced: what is lost is the entry's name (its create)
    trace = recorded["fsync_file_only"].trace
    assert all(any(trace.ops[j].kind == "create" for j in range(r.state.index + 1)) for r in lost)
    assert result.failing_under("ext4-ordered") == []  # ext4's fsync commits the create


def test_safe_protocol_loses_and_tears_nothing_under_either_model(
    recorded: dict[str, Recording],
) -> None:
    result = run(recorded["safe"])
    assert result.failing == [], [(r.state.model, r.state.id) for r in result.failing]
    assert result.built("weakest") > 20 and result.built("ext4-ordered") > 20
    # torn writes and half-done renames were among the states built
    tears = {r.state.tear[1] for r in result.results if r.state.tear}
    assert "half" in tears and any(t.startswith("s") for t in tears)


def _sqlite(tmp_path: Path, journal: str, synchronous: str) -> Exploration:
    sqlite_workload.create(tmp_path, journal)
    trace = record_sqlite(
        functools.partial(sqlite_workload.commits, journal=journal, synchronous=synchronous),
        tmp_path,
    )
    assert [label for _, label in trace.marks("ack")] == ["1", "2"]
    return explore(trace, recover=sqlite_workload.recover, check=acked_recovered(), models=BOTH)


def _corrupt(result: Exploration) -> list[str]:
    return [r.state.id for r in result.failing if r.verdict.checker == "recovery"]


@pytest.mark.parametrize(
    ("journal", "synchronous", "loses"),
    [
        ("WAL", "FULL", False),
        ("WAL", "NORMAL", True),
        ("DELETE", "FULL", True),
        ("DELETE", "EXTRA", False),
    ],
)
def test_sqlite_durability_as_documented(
    tmp_path: Path, journal: str, synchronous: str, loses: bool
) -> None:
    result = _sqlite(tmp_path, journal, synchronous)
    assert _corrupt(result) == [], "a state failed integrity_check or could not be opened"
    lost = result.failing_under("weakest")
    assert bool(lost) is loses, result.summary()
    if loses:
        # what is lost is the last acknowledged commits, never an older one alone
        for r in lost:
            missing = set(r.verdict.evidence["lost"])
            assert missing == set(r.state.acked[-len(missing) :])


def test_sqlite_delete_full_loses_the_commit_whose_journal_unlink_was_not_synced(
    tmp_path: Path,
) -> None:
    result = _sqlite(tmp_path, "DELETE", "FULL")
    trace = result.trace
    unlinks = [i for i, op in enumerate(trace.ops) if op.kind == "unlink"]
    ack_1 = trace.marks("ack")[0][0]
    # power cut right after commit 1 was acknowledged, the journal's unlink not kept:
    # the hot journal rolls commit 1 back
    state = next(r for r in result.failing_under("weakest") if r.state.index == ack_1)
    assert unlinks[0] not in state.state.kept
    assert state.verdict.evidence["lost"] == ["1"]


def test_the_vfs_shim_records_what_the_system_calls_show(tmp_path: Path) -> None:
    """SQLite's hidden directory syncs included: the shim (apsw's SQLite) and strace (the
    system's SQLite through Python's sqlite3) record the same operations."""
    shim_root, sys_root = tmp_path / "shim", tmp_path / "sys"
    for root in (shim_root, sys_root):
        root.mkdir()
        sqlite_workload.create(root, "DELETE")
    shim = record_sqlite(
        functools.partial(sqlite_workload.commits, journal="DELETE", synchronous="FULL"),
        shim_root,
    )
    syscalls = record_call(
        functools.partial(sqlite_workload.commits_stdlib, str(sys_root), "DELETE", "FULL"),
        sys_root,
    ).trace

    def shape(trace: Trace) -> list[tuple[str, str, int, int, int]]:
        return [(op.kind, op.name, op.ino, op.offset, len(op.data)) for op in trace.ops]

    assert shape(shim) == shape(syscalls)
    assert [op.kind for op in shim.ops].count("dirsync") == 2  # one per new journal

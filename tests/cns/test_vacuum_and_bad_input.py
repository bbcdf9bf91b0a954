"""Space after bulk deletes (CNS-7), and bad files: one clear error, nothing lost."""

from __future__ import annotations

import os
import shutil
import subprocess

import apsw
import pytest

from reference_impl.cns import (
    DatabaseFull,
    NotADatabase,
    ReadOnlyDatabase,
    SchemaTooNew,
    open_store,
)
from reference_impl.cns.legacy import write_legacy
from tests.cns.conftest import make_run

BIG = [make_run(n, spec=f"SPEC-{n % 4}", agents=4) for n in range(400)]


def _bloat(path) -> None:
    """A legacy file (auto_vacuum NONE, as the seed's) with ~2 MB of outputs."""
    runs = [
        type(r)(
            r.spec_id,
            r.stage,
            r.run_id,
            r.created_at,
            tuple(type(o)(o.agent_name, o.content_json + " " * 1200) for o in r.outputs),
        )
        for r in BIG
    ]
    write_legacy(path, runs)


@pytest.mark.parametrize(("name", "shrinks"), [("fixed", True), ("seed", False), ("prefix", False)])
def test_file_shrinks_after_bulk_delete_only_with_incremental_auto_vacuum(
    sqlite_path, config, name, shrinks
):
    _bloat(sqlite_path)
    with open_store(name, sqlite_path, config) as store:
        for spec in ("SPEC-0", "SPEC-1", "SPEC-2"):
            store.delete_spec(spec)
        stats = store.vacuum()
    assert (stats.file_bytes_after < stats.file_bytes_before / 2) is shrinks, stats
    conn = apsw.Connection(str(sqlite_path))
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT COUNT(*) FROM consensus_artifacts").fetchone() == (400,)
    conn.close()


def test_not_sqlite_is_refused_and_left_untouched(sqlite_path, config, variant):
    body = b"not a database\n" * 500
    sqlite_path.write_bytes(body)
    with pytest.raises(NotADatabase, match="is not an SQLite database"):
        open_store(variant, sqlite_path, config)
    assert sqlite_path.read_bytes() == body
    assert sorted(os.listdir(sqlite_path.parent)) == [sqlite_path.name]


def test_newer_schema_version_is_refused_and_left_untouched(sqlite_path, config):
    write_legacy(sqlite_path, BIG[:3])
    conn = apsw.Connection(str(sqlite_path))
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = sqlite_path.read_bytes()
    with pytest.raises(SchemaTooNew, match="schema version 99, newer than this code knows"):
        open_store("fixed", sqlite_path, config)
    assert sqlite_path.read_bytes() == before


@pytest.fixture
def read_only_file(sqlite_path):
    write_legacy(sqlite_path, BIG[:3])
    sqlite_path.chmod(0o444)
    immutable = False
    if os.access(sqlite_path, os.W_OK):  # root ignores modes: make the file immutable
        chattr = shutil.which("chattr")
        if (
            chattr is None
            or subprocess.run([chattr, "+i", str(sqlite_path)], capture_output=True).returncode
        ):
            pytest.skip(
                "running as root on a file system without chattr +i: cannot make a file read-only"
            )
        immutable = True
    try:
        yield sqlite_path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(sqlite_path)], check=True)
        sqlite_path.chmod(0o644)


def test_read_only_file_is_refused_and_nothing_changes(read_only_file, config, variant):
    before = read_only_file.read_bytes()
    with pytest.raises(ReadOnlyDatabase, match="read-only"):
        open_store(variant, read_only_file, config)
    assert read_only_file.read_bytes() == before


def test_full_database_fails_one_write_and_keeps_every_commit(sqlite_path, config):
    with open_store("fixed", sqlite_path, config) as store:
        store.store_run(make_run(1))
        (pages,) = store.read(lambda c: c.execute("PRAGMA page_count").fetchone())
        with store.connection() as conn:  # SQLite's own size limit: the file may not grow
            conn.execute(f"PRAGMA max_page_count = {pages + 2}").fetchall()
        big = make_run(2, agents=30)
        big = type(big)(
            big.spec_id,
            big.stage,
            big.run_id,
            big.created_at,
            tuple(type(o)(o.agent_name, "x" * 4000) for o in big.outputs),
        )
        with pytest.raises(DatabaseFull, match="database or disk is full"):
            store.store_run(big)
        assert store.last_retry is not None and len(store.last_retry.attempts) == 1
        assert store.validate().count == 0
    conn = apsw.Connection(str(sqlite_path))
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT COUNT(*) FROM consensus_artifacts").fetchone() == (3,)
    conn.close()

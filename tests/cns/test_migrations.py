"""Schema versions and the data migration, on files the seed's current code made."""

from __future__ import annotations

import apsw
import pytest

from reference_impl.cns import MigrationError, open_store
from reference_impl.cns.legacy import write_legacy
from reference_impl.cns.schema import SEED_V1
from reference_impl.cns.seed_sql import (
    SEED_MIGRATION_SQL,
    SEED_MIGRATION_SQL_RUN_ID_CARRIED,
    SEED_V1_WITH_RUN_ID,
)
from tests.cns.conftest import make_run

LEGACY_RUNS = [make_run(n, run_id=None if n % 4 == 0 else "r") for n in range(1, 9)]


def _q(path, sql):
    conn = apsw.Connection(str(path))
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def test_fixed_migrates_a_legacy_file_to_the_latest_version_and_rerun_is_a_no_op(
    sqlite_path, config
):
    write_legacy(sqlite_path, LEGACY_RUNS)
    with open_store("fixed", sqlite_path, config) as store:
        assert store.schema_version() == 3
        assert store.migrate_data() == []
        counts = store.read(
            lambda c: c.execute(
                "SELECT (SELECT COUNT(*) FROM consensus_runs), (SELECT COUNT(*) FROM agent_outputs)"
            ).fetchone()
        )
    with open_store("fixed", sqlite_path, config) as store:
        again = store.read(
            lambda c: c.execute(
                "SELECT (SELECT COUNT(*) FROM consensus_runs), (SELECT COUNT(*) FROM agent_outputs)"
            ).fetchone()
        )
    # runs 4 and 8 share (spec, stage, NULL run id): one run, as GROUP BY groups them
    assert counts == again == (7, 24)
    assert _q(sqlite_path, "PRAGMA integrity_check") == [("ok",)]


def test_fixed_data_migration_is_lossless_and_invents_nothing(sqlite_path, config):
    write_legacy(sqlite_path, LEGACY_RUNS)
    with open_store("fixed", sqlite_path, config) as store:
        assert store.validate().count == 0
    # Independent read-compare: every artifact's fields, verbatim, in the new tables.
    old = _q(
        sqlite_path,
        "SELECT spec_id, stage, run_id, agent_name, content_json, response_text,"
        " created_at FROM consensus_artifacts ORDER BY id",
    )
    new = _q(
        sqlite_path,
        "SELECT r.spec_id, r.stage, r.run_id, o.agent_name, o.content,"
        " o.response_text, o.created_at FROM agent_outputs o JOIN consensus_runs r"
        " ON r.id = o.run_ref ORDER BY o.artifact_id",
    )
    assert old == new
    # Outcomes nobody recorded stay unknown: consensus_ok only from a synthesis.
    assert _q(sqlite_path, "SELECT COUNT(*) FROM consensus_runs WHERE run_id IS NULL") == [(1,)]


def test_fixed_data_migration_sql_rerun_directly_adds_nothing(sqlite_path, config):
    from reference_impl.cns.migrations import FIXED_V2_DATA

    write_legacy(sqlite_path, LEGACY_RUNS)
    with open_store("fixed", sqlite_path, config):
        pass
    conn = apsw.Connection(str(sqlite_path))
    conn.execute(FIXED_V2_DATA)
    conn.close()
    assert _q(sqlite_path, "SELECT COUNT(*) FROM agent_outputs") == [(24,)]


def test_seed_migration_sql_as_written_cannot_run_on_its_own_schema(sqlite_path, config):
    write_legacy(sqlite_path, LEGACY_RUNS)
    with open_store("seed", sqlite_path, config) as store:
        with pytest.raises(MigrationError, match=r"no such column: cr\.run_id"):
            store.migrate_data()
        assert store.read(
            lambda c: c.execute("SELECT COUNT(*) FROM consensus_runs").fetchone()
        ) == (0,)


def _seed_sql_on(path, schema: str, script: str) -> None:
    write_legacy(path, LEGACY_RUNS)
    conn = apsw.Connection(str(path))
    conn.execute(schema)
    conn.execute(script)
    conn.close()


def test_seed_sql_with_a_run_id_column_added_migrates_no_output(sqlite_path):
    _seed_sql_on(sqlite_path, SEED_V1_WITH_RUN_ID, SEED_MIGRATION_SQL)
    assert _q(sqlite_path, "SELECT COUNT(*) FROM agent_outputs") == [(0,)]
    assert _q(sqlite_path, "SELECT COUNT(*) FROM consensus_runs WHERE run_id IS NOT NULL") == [(0,)]


def test_seed_sql_with_run_id_carried_loses_and_invents(sqlite_path):
    _seed_sql_on(sqlite_path, SEED_V1_WITH_RUN_ID, SEED_MIGRATION_SQL_RUN_ID_CARRIED)
    artifacts = _q(sqlite_path, "SELECT COUNT(*) FROM consensus_artifacts")[0][0]
    null_run = _q(sqlite_path, "SELECT COUNT(*) FROM consensus_artifacts WHERE run_id IS NULL")[0][
        0
    ]
    assert (artifacts, null_run) == (24, 6)
    # Artifacts without a run id never match the JOIN: lost.
    assert _q(sqlite_path, "SELECT COUNT(*) FROM agent_outputs") == [(artifacts - null_run,)]
    # Sub-second timestamps truncated: 10:00:01.001 becomes ...01000 ms.
    ms = _q(sqlite_path, "SELECT output_timestamp % 1000 FROM agent_outputs")
    assert {m for (m,) in ms} == {0}
    # Every run marked consensus_ok = 1, degraded = 0, whatever its synthesis said.
    assert _q(sqlite_path, "SELECT DISTINCT consensus_ok, degraded FROM consensus_runs") == [(1, 0)]
    assert _q(sqlite_path, "SELECT COUNT(*) FROM consensus_synthesis WHERE degraded = 1") != [(0,)]


def test_seed_schema_as_written_has_no_run_id():
    assert "run_id TEXT" not in SEED_V1.split("CREATE TABLE agent_outputs")[0]


def test_prefix_data_copy_rerun_duplicates(sqlite_path, config):
    write_legacy(sqlite_path, LEGACY_RUNS)
    with open_store("prefix", sqlite_path, config) as store:
        store.migrate_data()
        store.migrate_data()
        found = store.validate()
        assert (found.old_rows, found.new_rows) == (24, 48)  # every artifact copied twice


def test_seed_version_check_outside_the_transaction_runs_v1_twice(sqlite_path, config):
    """Two openers that both read user_version 0 before either commits: the second fails."""
    with open_store("seed", sqlite_path, config):
        pass
    conn = apsw.Connection(str(sqlite_path))
    conn.execute(
        "PRAGMA user_version = 0"
    )  # as the second opener saw it, before the first committed
    conn.close()
    with pytest.raises(MigrationError, match="already exists"):
        open_store("seed", sqlite_path, config)


def test_fixed_migration_reads_the_version_inside_its_transaction(sqlite_path, config):
    from reference_impl.cns.migrations import FIXED_MIGRATIONS, run_versioned

    with open_store("fixed", sqlite_path, config):
        pass
    conn = apsw.Connection(str(sqlite_path))
    assert run_versioned(conn, FIXED_MIGRATIONS) == []
    conn.close()

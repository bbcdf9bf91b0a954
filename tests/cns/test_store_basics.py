"""The store's surface on every variant: pragmas read back, the pool, dual-write, agents, restart."""

from __future__ import annotations

import threading

import apsw
import pytest

from reference_impl.cns import PoolTimeout, StoreConfig, open_store
from tests.cns.conftest import make_run

# Expected values from FIXES.md CNS-1 and the seed, written here (not read from the code).
FIXED_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "auto_vacuum": 2,
}
SEED_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 1,
    "cache_size": -64000,
    "mmap_size": 268435456,
}
PREFIX_PRAGMAS = {"journal_mode": "delete", "synchronous": 2, "foreign_keys": 0, "auto_vacuum": 0}


@pytest.mark.parametrize(
    ("name", "expected"),
    [("fixed", FIXED_PRAGMAS), ("seed", SEED_PRAGMAS), ("prefix", PREFIX_PRAGMAS)],
)
def test_pragmas_read_back_on_every_pooled_connection(sqlite_path, config, name, expected):
    with open_store(name, sqlite_path, config) as store:
        hold = [store.connection() for _ in range(3 if name != "prefix" else 1)]
        for cm in hold:
            cm.__enter__()
        for values in store.pragma_values():
            assert {k: values[k] for k in expected} == expected
        for cm in hold:
            cm.__exit__(None, None, None)


def test_pool_reader_proceeds_while_a_writer_holds_the_write_lock(sqlite_path, config):
    with open_store("fixed", sqlite_path, config) as store:
        store.store_run(make_run(1))
        with store.connection() as writer:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("DELETE FROM consensus_artifacts")
            seen = store.read(
                lambda c: c.execute("SELECT COUNT(*) FROM consensus_artifacts").fetchone()[0]
            )
            writer.execute("ROLLBACK")
    assert seen == 3


def test_prefix_single_connection_makes_a_reader_wait_for_the_writer(sqlite_path, config):
    cfg = StoreConfig(sleep=config.sleep, rng=config.rng, pool_wait_s=0.2)
    with open_store("prefix", sqlite_path, cfg) as store, store.connection():
        errors: list[BaseException] = []

        def reader() -> None:
            try:
                store.read(lambda c: c.execute("SELECT 1").fetchall())
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=reader)
        t.start()
        t.join(5)
    assert len(errors) == 1 and isinstance(errors[0], PoolTimeout)


def test_dual_write_leaves_no_mismatch_and_the_validator_finds_one(sqlite_path, config, variant):
    with open_store(variant, sqlite_path, config) as store:
        for n in range(5):
            store.store_run(make_run(n))
        assert store.validate().count == 0
        store.transact(
            lambda c: c.execute(
                "DELETE FROM agent_outputs WHERE id = (SELECT MIN(id) FROM agent_outputs)"
            )
        )
        assert store.validate().count == 1


def test_fixed_dual_write_keeps_every_field(sqlite_path, config):
    run = make_run(4, run_id=None)
    with open_store("fixed", sqlite_path, config) as store:
        store.store_run(run)
        rows = store.read(
            lambda c: list(
                c.execute(
                    "SELECT r.run_id, r.started_at, o.content, o.response_text, r.consensus_ok"
                    " FROM agent_outputs o JOIN consensus_runs r ON r.id = o.run_ref ORDER BY o.id"
                )
            )
        )
    assert rows[0] == (
        None,
        run.created_at,
        run.outputs[0].content_json,
        run.outputs[0].response_text,
        1,
    )


def test_agent_state_rebuilt_from_the_database_on_restart(sqlite_path, config, variant):
    with open_store(variant, sqlite_path, config) as store:
        store.record_agent_spawn("a1", "SPEC-1", "plan", "gemini", "t0")
        store.record_agent_spawn("a2", "SPEC-1", "plan", "claude", "t0")
        store.record_agent_completion("a1", "done", "t1")
        before = store.agents.snapshot()
    with open_store(variant, sqlite_path, config) as store:
        assert store.agents.snapshot() == before == {"a1": "completed", "a2": "spawned"}


@pytest.mark.parametrize(("name", "db_first"), [("fixed", True), ("seed", True), ("prefix", False)])
def test_memory_changes_only_after_the_database_commit(sqlite_path, config, name, db_first):
    """What the listener is shown must already be in the database (read from another connection)."""
    in_db: list[bool] = []

    def listener(agent_id: str, status: str) -> None:
        other = apsw.Connection(str(sqlite_path))
        row = other.execute(
            "SELECT 1 FROM agent_executions WHERE agent_id = ?", (agent_id,)
        ).fetchone()
        other.close()
        in_db.append(row is not None)

    with open_store(name, sqlite_path, config, listener=listener) as store:
        store.record_agent_spawn("a1", "SPEC-1", "plan", "gemini", "t0")
    assert in_db == [db_first]


def test_completion_of_an_unknown_agent_is_refused_and_changes_nothing(sqlite_path, config):
    with open_store("fixed", sqlite_path, config) as store:
        with pytest.raises(ValueError, match="no agent 'ghost'"):
            store.record_agent_completion("ghost", "x", "t1")
        assert store.agents.snapshot() == {}
        assert store.last_retry is not None and len(store.last_retry.attempts) == 1


def test_store_run_rejects_an_empty_run():
    from reference_impl.cns import ConsensusRun, InvalidArgument

    with pytest.raises(InvalidArgument, match="spec_id"):
        ConsensusRun("", "plan", None, "t")
    with pytest.raises(InvalidArgument, match="at least one output"):
        ConsensusRun("S", "plan", None, "t")


def test_unknown_variant_and_bad_settings_are_clear_errors(sqlite_path):
    from reference_impl.cns import InvalidArgument, make_store

    with pytest.raises(InvalidArgument, match="unknown variant 'nope'; known: prefix, seed, fixed"):
        make_store("nope", sqlite_path)
    with pytest.raises(InvalidArgument, match="pool_size"):
        StoreConfig(pool_size=0)
    with pytest.raises(InvalidArgument, match="busy_timeout_ms"):
        StoreConfig(busy_timeout_ms=-1)

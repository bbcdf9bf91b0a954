"""The retry helper against real SQLite errors from competing connections; time injected."""

from __future__ import annotations

import random

import apsw
import pytest

from reference_impl.cns import PermanentError, RetriesExhausted, StoreConfig, open_store
from reference_impl.cns.retry import Backoff, Kind, Retrier, RetryLog, classify, classify_seed

# FIXES.md CNS-6: 100 ms, 200, 400, 800, 1.6 s, jittered (+/-20 %: the reference's stated width).
SCHEDULE_MS = [100, 200, 400, 800, 1600]


def _busy_pair(path):
    """A holder of the write lock and a second connection with no busy timeout."""
    holder = apsw.Connection(str(path))
    holder.execute("PRAGMA journal_mode = WAL").fetchall()
    holder.execute("CREATE TABLE IF NOT EXISTS t(x)")
    other = apsw.Connection(str(path))
    return holder, other


def _error(fn):
    try:
        fn()
    except apsw.Error as exc:
        return exc
    raise AssertionError("no error")


def test_classification_of_real_errors(sqlite_path):
    holder, other = _busy_pair(sqlite_path)
    holder.execute("BEGIN IMMEDIATE")
    busy = _error(lambda: other.execute("BEGIN IMMEDIATE"))
    holder.execute("COMMIT")
    other.execute("BEGIN")
    other.execute("SELECT * FROM t").fetchall()
    holder.execute("INSERT INTO t VALUES (1)")
    snapshot = _error(lambda: other.execute("INSERT INTO t VALUES (2)"))
    other.execute("ROLLBACK")
    holder.execute("CREATE TABLE u(x UNIQUE); INSERT INTO u VALUES (1)")
    constraint = _error(lambda: holder.execute("INSERT INTO u VALUES (1)"))
    cursor = holder.execute("SELECT * FROM t")  # a pending statement on the same connection
    locked = _error(lambda: holder.execute("DROP TABLE t"))
    del cursor
    assert [classify(e) for e in (busy, snapshot, locked, constraint)] == [
        Kind.RETRY,
        Kind.RESTART,
        Kind.RETRY,
        Kind.PERMANENT,
    ]
    assert [classify_seed(e) for e in (busy, snapshot, locked, constraint)] == [
        Kind.RETRY,
        Kind.RETRY,
        Kind.PERMANENT,
        Kind.PERMANENT,
    ]
    holder.close()
    other.close()


def test_busy_is_retried_on_the_stated_schedule_until_it_succeeds(sqlite_path, sleeps):
    holder, _ = _busy_pair(sqlite_path)

    def release_after_four(seconds: float) -> None:
        sleeps(seconds)
        if len(sleeps.slept_s) == 4:
            holder.execute("COMMIT")

    cfg = StoreConfig(busy_timeout_ms=0, sleep=release_after_four, rng=random.Random(3))
    with open_store("fixed", sqlite_path, cfg) as store:
        holder.execute("BEGIN IMMEDIATE")
        store.record_agent_spawn("a1", "S", "plan", "gemini", "t0")
        log = store.last_retry
    assert log is not None and len(log.attempts) == 5
    assert [a.error for a in log.attempts[:-1]] == ["SQLITE_BUSY"] * 4
    for got, nominal in zip(log.delays_ms, SCHEDULE_MS, strict=False):
        assert 0.8 * nominal <= got <= 1.2 * nominal
    assert [round(s * 1000, 6) for s in sleeps.slept_s] == [round(d, 6) for d in log.delays_ms]
    holder.close()


def test_busy_past_the_schedule_gives_up_after_six_attempts(sqlite_path, sleeps):
    holder, _ = _busy_pair(sqlite_path)
    cfg = StoreConfig(busy_timeout_ms=0, sleep=sleeps, rng=random.Random(1))
    with open_store("fixed", sqlite_path, cfg) as store:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(RetriesExhausted, match="SQLITE_BUSY persisted through 5 retries"):
            store.record_agent_spawn("a1", "S", "plan", "gemini", "t0")
        holder.execute("ROLLBACK")
        log = store.last_retry
    assert log is not None and len(log.attempts) == 6 and len(log.delays_ms) == 5
    total = sum(log.delays_ms)
    assert 0.8 * sum(SCHEDULE_MS) <= total <= 1.2 * sum(SCHEDULE_MS)
    holder.close()


def test_permanent_error_takes_exactly_one_attempt(sqlite_path, config, sleeps):
    with open_store("fixed", sqlite_path, config) as store:
        store.record_agent_spawn("a1", "S", "plan", "gemini", "t0")
        with pytest.raises(PermanentError, match="SQLITE_CONSTRAINT_PRIMARYKEY"):
            store.record_agent_spawn("a1", "S", "plan", "gemini", "t0")
        assert store.last_retry is not None and len(store.last_retry.attempts) == 1
    assert sleeps.slept_s == []


def test_busy_snapshot_restarts_the_whole_transaction(sqlite_path, sleeps):
    holder, _ = _busy_pair(sqlite_path)
    cfg = StoreConfig(busy_timeout_ms=0, sleep=sleeps, rng=random.Random(1))
    calls = []

    def upsert(conn):
        calls.append(1)
        (n,) = conn.execute("SELECT COUNT(*) FROM t").fetchone()  # the snapshot starts here
        if len(calls) == 1:
            holder.execute("INSERT INTO t VALUES (99)")  # another writer commits meanwhile
        conn.execute("INSERT INTO t VALUES (?)", (n,))
        return n

    with open_store("fixed", sqlite_path, cfg) as store:
        assert store.transact(upsert, mode="deferred") == 1
        log = store.last_retry
    assert log is not None and [a.error for a in log.attempts] == ["SQLITE_BUSY_SNAPSHOT", None]
    assert log.delays_ms == [0.0] and len(calls) == 2
    holder.close()


def test_prefix_has_no_retry(sqlite_path, config):
    holder, _ = _busy_pair(sqlite_path)
    cfg = StoreConfig(busy_timeout_ms=0, sleep=config.sleep)
    with open_store("prefix", sqlite_path, cfg) as store:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(apsw.BusyError):
            store.record_agent_spawn("a1", "S", "plan", "gemini", "t0")
        holder.execute("ROLLBACK")
    holder.close()


def test_seed_jitter_adds_up_to_the_minimum_delay():
    from reference_impl.cns.retry import jitter_backon

    b = Backoff(jitter=jitter_backon)
    rng = random.Random(5)
    for retry, nominal in enumerate(SCHEDULE_MS, 1):
        for _ in range(50):
            assert nominal <= b.delay_ms(retry, rng) < nominal + 100


def test_retrier_log_serializes():
    log = RetryLog()
    r = Retrier(sleep=lambda s: None)
    assert r.run(lambda: 5, log) == 5
    assert log.to_json() == [{"number": 1, "error": None, "kind": None, "delay_ms": None}]

"""Ops the crash-runner tests run in children (a module, so they pickle by reference)."""

from __future__ import annotations

import atexit
import sqlite3
import time
from pathlib import Path

from harness.crash.child import Fail, record
from harness.crashpoints import crashpoint


def three_points() -> int:
    crashpoint("t.a")
    crashpoint("t.b")
    crashpoint("t.b")
    crashpoint("t.c")
    return 42


def raises_fail() -> None:
    crashpoint("t.a")
    raise Fail("duplicate request")


def raises_value_error() -> None:
    raise ValueError("bad thing\nsecond line")


def sleeps_forever() -> None:
    crashpoint("t.a")
    time.sleep(3600)


def writes_at_exit(path: str) -> str:
    atexit.register(lambda: Path(path).write_text("atexit ran"))
    return "done"


def returns_unpicklable() -> object:
    return lambda: None


def records_two_ops() -> None:
    with record("put", value=1) as op:
        crashpoint("t.put")
        op.ok("stored")
    with record("get", value=1):
        crashpoint("t.get")


def insert_in_tx(path: str) -> None:
    """One transaction; the crash point sits between the INSERT and COMMIT."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t(v) VALUES (1)")
    crashpoint("t.before_commit")
    conn.execute("COMMIT")
    conn.close()


def create_db(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS t(v INTEGER)")
    conn.execute("DELETE FROM t")
    conn.commit()
    conn.close()


def count_rows(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])
    finally:
        conn.close()


def environment() -> tuple[str | None, str]:
    import os

    return os.environ.get("HARNESS_TEST_MARK"), os.getcwd()


def exits_abruptly() -> None:
    import os

    crashpoint("t.a")
    os._exit(7)


def serves_forever(port: int) -> None:
    """A long-running helper: says where it listens, crosses an (unarmed) point, stays up."""
    with record("listening", value=port):
        pass
    crashpoint("t.a")
    time.sleep(3600)


def lock_rows_then_stop(dsn: str) -> None:
    """Locks every row of ``jobs`` (FOR UPDATE, in a transaction) and passes two points there:
    the code under test knows nothing of the harness but the crash-point marker."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT id FROM jobs FOR UPDATE").fetchall()
        crashpoint("t.locked")
        crashpoint("t.before_commit")
        conn.commit()


def redis_client_then_stop(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.client_setname("victim")
    crashpoint("t.connected")

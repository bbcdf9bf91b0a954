"""A fault is complete when it has landed (issue 9's false alarm, made deterministic).

The false alarm: the runner returned as soon as the killed child was gone, while its
PostgreSQL backend still held the row locks for a few milliseconds; the next poll's
``SKIP LOCKED`` skipped exactly the rows under test. Freezing the dead client's backend
(SIGSTOP; the harness owns this server) makes that window as wide as we like: without
the landing wait the rows below are skipped every time, with it never.
"""

from __future__ import annotations

import functools
import os
import signal
import threading

import psycopg
import pytest

from harness.crash import landing
from harness.crash.runner import run_case
from harness.history import NEMESIS
from tests.core import ops

FROZEN_S = 0.05


def _backend_of(dsn: str, app_prefix: str) -> int:
    """The backend pid of the session whose application_name the harness gave the child."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name LIKE %s",
            (app_prefix + "%",),
        ).fetchall()
    assert len(rows) == 1, rows
    return int(rows[0][0])


def _freeze_backend(dsn: str, thaw: list[threading.Timer]) -> None:
    """At the point: stop the child's backend now, let it go on FROZEN_S later (after the kill)."""
    pid = _backend_of(dsn, "harness:child:")
    os.kill(pid, signal.SIGSTOP)
    timer = threading.Timer(FROZEN_S, os.kill, (pid, signal.SIGCONT))
    thaw.append(timer)
    timer.start()


@pytest.fixture
def jobs_db(pg_db):
    with psycopg.connect(pg_db.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE jobs (id int PRIMARY KEY)")
        conn.execute("INSERT INTO jobs SELECT generate_series(1, 3)")
    return pg_db


def test_after_a_kill_recovery_sees_the_rows_the_dead_client_locked(jobs_db):
    thaw: list[threading.Timer] = []
    op = functools.partial(ops.lock_rows_then_stop, jobs_db.dsn)
    try:
        run = run_case(
            op,
            pause_at={"t.locked": functools.partial(_freeze_backend, jobs_db.dsn, thaw)},
            kill_at="t.before_commit",
        )
        # Recovery starts here: a SKIP LOCKED poll must see every row the dead client held.
        with psycopg.connect(jobs_db.dsn, autocommit=True) as conn:
            seen = conn.execute("SELECT id FROM jobs FOR UPDATE SKIP LOCKED").fetchall()
    finally:
        for timer in thaw:
            timer.join()
    assert run.killed
    assert sorted(r[0] for r in seen) == [1, 2, 3]
    # The wait is part of the kill in the history, with its duration.
    (kill,) = [op for op in run.history if op.process == NEMESIS and op.f == "kill"]
    assert kill.value["at"] == "t.before_commit"
    assert kill.value["landed_s"] >= FROZEN_S * 0.5
    assert kill.value["sessions_ended"] == 1, kill.value


def test_a_cut_client_backend_is_gone_before_the_run_returns(jobs_db, proxied, pg_server):
    link = proxied(pg_server.host, pg_server.port)
    via = jobs_db.dsn.replace(f"port={pg_server.port}", f"port={link.port}")
    assert via != jobs_db.dsn
    try:
        run = run_case(
            functools.partial(ops.lock_rows_then_stop, via), pause_at={"t.locked": link.cut}
        )
    finally:
        link.restore()
    assert run.outcome.value == "info"
    with psycopg.connect(jobs_db.dsn, autocommit=True) as conn:
        seen = conn.execute("SELECT id FROM jobs FOR UPDATE SKIP LOCKED").fetchall()
        left = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'harness:%'"
        ).fetchone()
    assert sorted(r[0] for r in seen) == [1, 2, 3]
    assert left == (0,)
    (cut,) = [op for op in run.history if op.process == NEMESIS]
    assert "landed_s" in cut.value


def test_a_fault_that_never_lands_is_an_error_not_a_pass(jobs_db):
    """A backend frozen past the bound: the runner says so instead of going on."""
    thaw: list[threading.Timer] = []

    def freeze_long() -> None:
        pid = _backend_of(jobs_db.dsn, "harness:child:")
        os.kill(pid, signal.SIGSTOP)
        timer = threading.Timer(1.0, os.kill, (pid, signal.SIGCONT))
        thaw.append(timer)
        timer.start()

    try:
        with pytest.raises(Exception, match=r"did not land within 0\.2s"):
            landing_timeout = landing.LANDING_TIMEOUT_S
            landing.LANDING_TIMEOUT_S = 0.2
            try:
                run_case(
                    functools.partial(ops.lock_rows_then_stop, jobs_db.dsn),
                    pause_at={"t.locked": freeze_long},
                    kill_at="t.before_commit",
                )
            finally:
                landing.LANDING_TIMEOUT_S = landing_timeout
    finally:
        for timer in thaw:
            timer.join()


def test_a_killed_redis_client_is_gone_from_client_list(redis_server):
    url = redis_server.url(0)
    run = run_case(functools.partial(ops.redis_client_then_stop, url), kill_at="t.connected")
    assert run.killed
    with redis_server.client() as client:
        names = [c.get("name") for c in client.client_list()]
    assert "victim" not in names

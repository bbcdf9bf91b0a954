"""Record SQLite at its own file layer, as SQLite's crash tests do: a VFS shim.

    with SqliteRecorder(root) as rec:
        db = apsw.Connection(str(root / "store.db"), vfs=rec.vfs_name)
        db.execute("INSERT ...")
        rec.ack("commit 1")            # what the caller was told, in order with the writes
        db.close()
    explore(rec.trace, recover=..., check=...)

The shim is an ``apsw.VFS`` inheriting from SQLite's default (unix) VFS: every call
goes to the real engine and the real files; on the way it records each write,
truncate, sync and delete as trace operations. It also records the directory sync
the unix VFS does out of sight: when a rollback journal, super-journal or WAL file
opened with SQLITE_OPEN_CREATE is first synced, os_unix.c fsyncs its directory too
(``UNIXFILE_DIRSYNC``); and ``xDelete(..., syncDir)`` (``synchronous=EXTRA``) syncs
the directory after the unlink.

The shim's files are SQLite VFS version 1 (no shared-memory methods), so a database in
WAL mode must be opened with ``PRAGMA locking_mode=EXCLUSIVE`` before its first use,
which keeps the WAL index in heap memory (the ``-shm`` file is never durable anyway).
Only connections opened by apsw use the shim; a program using the standard library's
``sqlite3`` is recorded at the system-call level instead (``record_call``).
"""

from __future__ import annotations

import itertools
import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import apsw

from harness import crashpoints
from harness.disk.builder import TraceBuilder, snapshot
from harness.disk.ops import Trace
from harness.errors import ConfigError

_NEW_JOURNAL = 0x00000800 | 0x00004000 | 0x00080000  # MAIN_JOURNAL, SUPER_JOURNAL, WAL
_OPEN_CREATE = 0x00000004
_names = itertools.count(1)


class SqliteRecorder:
    """A recording VFS for the files under ``root``; use as a context manager."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ConfigError(f"root {root} is not a directory; create it first")
        self.trace: Trace = snapshot(self.root)
        self.trace.recorder = "sqlite-vfs"
        self.builder = TraceBuilder(self.trace)
        self.vfs_name = f"harness-disk-{os.getpid()}-{next(_names)}"
        self._vfs = _make_vfs(self)
        self._armed = False

    def rel(self, filename: str | None) -> str | None:
        if filename is None:
            return None
        path = os.path.realpath(filename)
        root = str(self.root)
        if path.startswith(root + "/"):
            return path[len(root) + 1 :]
        return None

    def ack(self, label: str) -> None:
        """Record that ``label`` was acknowledged to the caller (a commit returned)."""
        if "\n" in str(label):
            raise ConfigError(f"an acknowledgement label is one line, got {label!r}")
        self.builder.mark("ack", str(label))

    def reached(self, name: str) -> None:  # crashpoints.Controller: points become marks
        self.builder.mark("point", name)

    def __enter__(self) -> SqliteRecorder:
        if not crashpoints.armed():
            crashpoints.arm(self)
            self._armed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._armed:
            crashpoints.disarm()
            self._armed = False
        self._vfs.unregister()


def _make_vfs(rec: SqliteRecorder) -> Any:
    class RecordingFile(apsw.VFSFile):
        def __init__(self, name: Any, flags: list[int], rel: str | None) -> None:
            super().__init__("", name, flags)
            self.rel = rel
            self.ino = -1
            if rel is not None:
                ino = rec.builder.open(rel, create=bool(flags[0] & _OPEN_CREATE), truncate=False)
                self.ino = -1 if ino is None else ino
            self.dirsync = bool(flags[0] & _OPEN_CREATE and flags[0] & _NEW_JOURNAL)

        def xWrite(self, data: Any, offset: int) -> None:
            super().xWrite(data, offset)
            if self.ino >= 0:
                rec.builder.write(self.ino, offset, bytes(data))

        def xTruncate(self, size: int) -> None:
            super().xTruncate(size)
            if self.ino >= 0:
                rec.builder.truncate(self.ino, size)

        def xSync(self, flags: int) -> None:
            super().xSync(flags)
            if self.ino >= 0:
                rec.builder.fsync(self.ino)
                if self.dirsync and self.rel is not None:
                    rec.builder.dirsync(posixpath.dirname(self.rel))
            self.dirsync = False

    class RecordingVFS(apsw.VFS):
        def __init__(self) -> None:
            super().__init__(rec.vfs_name, "")

        def xOpen(self, name: Any, flags: list[int]) -> Any:
            filename = name.filename() if isinstance(name, apsw.URIFilename) else name
            return RecordingFile(name, flags, rec.rel(filename))

        def xDelete(self, filename: str, syncdir: bool) -> None:
            super().xDelete(filename, syncdir)
            rel = rec.rel(filename)
            if rel is not None:
                rec.builder.unlink(rel)
                if syncdir:
                    rec.builder.dirsync(posixpath.dirname(rel))

    return RecordingVFS()


def record_sqlite(fn: Callable[[SqliteRecorder], Any], root: str | os.PathLike[str]) -> Trace:
    """Run ``fn(recorder)`` in this process with the recording VFS; return the trace.
    ``fn`` opens its connections with ``vfs=recorder.vfs_name`` and closes them."""
    with SqliteRecorder(root) as rec:
        fn(rec)
    return rec.trace

"""Opening one connection: the file checks every variant makes, the variant's pragmas, read-back.

Errors SQLite raises for bad files are turned into the store's own, each saying
what to do; the file is never written before it is known to be a database this
code can handle.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import apsw

from reference_impl.cns.errors import (
    DatabaseFull,
    NotADatabase,
    ReadOnlyDatabase,
    StoreError,
)

#: The pragmas read back by ``read_pragmas`` (and by the CNS-1 scenario).
PRAGMA_NAMES = (
    "journal_mode",
    "synchronous",
    "busy_timeout",
    "foreign_keys",
    "auto_vacuum",
    "cache_size",
    "mmap_size",
)


def open_connection(path: str | Path, *, vfs: str | None = None) -> apsw.Connection:
    """Open ``path`` read-write (creating it), through ``vfs`` if given; check it is SQLite."""
    flags = apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    try:
        conn = apsw.Connection(str(path), flags=flags, vfs=vfs)
    except apsw.CantOpenError as exc:
        raise StoreError(f"cannot open {path}: {exc} (does its directory exist?)") from exc
    try:
        # The first read of the header: a file that is not SQLite fails here, untouched.
        conn.execute("PRAGMA schema_version").fetchall()
    except apsw.NotADBError as exc:
        conn.close()
        raise NotADatabase(
            f"{path} is not an SQLite database (SQLite: {exc}); it was left as it is: "
            "point the store at a database file or at a path that does not exist yet"
        ) from exc
    if conn.readonly("main"):
        conn.close()
        raise ReadOnlyDatabase(
            f"{path} is read-only (file or file system); nothing was changed: "
            "make it writable or open a copy"
        )
    return conn


#: Pragmas stored in the file: setting one again still takes a lock, so a new pooled
#: connection opened while a writer holds the write lock would wait for it.
PERSISTENT = frozenset({"journal_mode", "auto_vacuum"})


def apply_pragmas(
    conn: apsw.Connection, pragmas: Mapping[str, object], skip_if_set: bool = False
) -> None:
    """Set each pragma in order, ``busy_timeout`` first (the others may wait on a lock).

    ``skip_if_set``: leave a persistent pragma alone when the file already has that value.
    """
    ordered = sorted(pragmas.items(), key=lambda kv: kv[0] != "busy_timeout")
    for name, value in ordered:
        if skip_if_set and name in PERSISTENT:
            current = conn.execute(f"PRAGMA {name}").fetchone()
            if current is not None and _same(name, current[0], value):
                continue
        try:
            conn.execute(f"PRAGMA {name} = {value}").fetchall()
        except apsw.ReadOnlyError as exc:
            raise ReadOnlyDatabase(
                f"cannot set PRAGMA {name} = {value}: the database is read-only ({exc})"
            ) from exc
        except apsw.FullError as exc:
            raise DatabaseFull(f"cannot set PRAGMA {name}: disk full ({exc})") from exc


_AUTO_VACUUM = {"NONE": 0, "FULL": 1, "INCREMENTAL": 2}


def _same(name: str, current: object, wanted: object) -> bool:
    if name == "auto_vacuum":
        return current == _AUTO_VACUUM.get(str(wanted).upper(), wanted)
    return str(current).lower() == str(wanted).lower()


def read_pragmas(conn: apsw.Connection) -> dict[str, object]:
    """What is in effect on this connection, as SQLite reports it."""
    out: dict[str, object] = {}
    for name in PRAGMA_NAMES:
        row = conn.execute(f"PRAGMA {name}").fetchone()
        out[name] = row[0] if row else None
    return out


def user_version(conn: apsw.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0]) if row else 0

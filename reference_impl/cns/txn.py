"""One transaction on one connection: BEGIN (IMMEDIATE or DEFERRED), the work, COMMIT; ROLLBACK on any error.

``mode=None`` runs the work in autocommit, each statement its own transaction:
what the seed's code does today ("No transactions").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

import apsw

from harness.crashpoints import crashpoint

T = TypeVar("T")
Mode = Literal["immediate", "deferred"] | None


def in_transaction(
    conn: apsw.Connection, work: Callable[[apsw.Connection], T], mode: Mode, name: str
) -> T:
    """Run ``work(conn)`` in one transaction; crash points ``cns.<name>.begun/.before_commit/.committed``."""
    if mode is None:
        return work(conn)
    conn.execute(f"BEGIN {mode.upper()}")
    try:
        crashpoint(f"cns.{name}.begun")
        result = work(conn)
        crashpoint(f"cns.{name}.before_commit")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (e.g. on SQLITE_FULL)
            conn.execute("ROLLBACK")
        raise
    crashpoint(f"cns.{name}.committed")
    return result

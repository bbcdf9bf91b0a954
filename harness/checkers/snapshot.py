"""Snapshots of database tables, in the shape the checkers read: ``{table: [row dict, ...]}``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from harness.errors import ConfigError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def snapshot_tables(conn: Any, tables: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of each table through a DB-API connection (psycopg, sqlite3), sorted so
    two snapshots of the same state compare equal."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        if not isinstance(table, str) or not _IDENT.match(table):
            raise ConfigError(
                f"table name {table!r} is not a plain identifier like 'jobs' or 'app.jobs'"
            )
        cur = conn.cursor()
        try:
            cur.execute(f"SELECT * FROM {table}")
            cols = [d[0] for d in cur.description]
            rows = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        finally:
            cur.close()
        out[table] = sorted(rows, key=lambda r: [repr(r[c]) for c in cols])
    return out

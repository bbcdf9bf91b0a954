"""PostgreSQL servers: what every backend's PostgreSQL offers (DSNs, databases)."""

from __future__ import annotations

import shlex
from abc import abstractmethod
from typing import Any, ClassVar

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from harness.backends.base import Server


class PostgresServer(Server):
    kind: ClassVar[str] = "postgres"
    user: str = "postgres"

    @abstractmethod
    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq connection string for ``dbname`` on this server."""

    def connect(self, dbname: str = "postgres", **kwargs: Any) -> psycopg.Connection[Any]:
        kwargs.setdefault("autocommit", True)
        kwargs.setdefault("connect_timeout", 10)
        return psycopg.connect(self.dsn(dbname), **kwargs)

    def connect_command(self, dbname: str = "postgres") -> str:
        """A shell command that opens ``psql`` on ``dbname`` (for a user inspecting it)."""
        argv = ["psql", "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", dbname]
        return shlex.join(argv)

    def answers(self, timeout_s: float = 2.0) -> bool:
        try:
            with self.connect(connect_timeout=max(1, round(timeout_s))):
                return True
        except psycopg.Error:
            return False

    def query_version(self, timeout_s: float = 10.0) -> str:
        with self.connect(connect_timeout=max(1, round(timeout_s))) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]).split()[0] if row else ""

    def create_database(self, name: str, template: str | None = None) -> None:
        """Create ``name`` (empty, or a copy of ``template``, which must have no sessions)."""
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            if self.major_version >= 15:
                # A file copy beats WAL-logging page by page for small databases.
                query += sql.SQL(" STRATEGY FILE_COPY")
        with self.connect() as conn:
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, ending its sessions first."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    @property
    def major_version(self) -> int:
        return int(self.version.split(".")[0]) if self.version else 0


def conninfo(host: str, port: int, user: str, dbname: str, **extra: Any) -> str:
    return make_conninfo(host=host, port=port, user=user, dbname=dbname, **extra)

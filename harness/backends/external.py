"""The ``external`` backend: servers given by DSN (e.g. CI service containers).

The harness connects to them and never stops, kills or restarts them: those
raise ``NotOwned``, so a crash-recovery scenario says plainly it cannot run here.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis as redis_client
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness.backends.base import Server
from harness.backends.postgres import PostgresServer
from harness.backends.redis import RedisServer
from harness.backends.registry import Backend, register
from harness.backends.settings import Settings
from harness.errors import BackendUnavailable, ConfigError, ServerError

CONNECT_TIMEOUT_S = 5


class _External(Server):
    owned = False

    def stop(self) -> None:
        raise self._refuse("stop")

    def kill(self) -> None:
        raise self._refuse("kill")

    def restart(self) -> None:
        raise self._refuse("restart")

    def close(self) -> None:
        """Nothing to stop: the server is not ours."""

    def is_running(self) -> bool:
        return self.answers()


class ExternalPostgres(PostgresServer, _External):
    def __init__(self, dsn: str) -> None:
        try:
            params = conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            raise ConfigError(f"HARNESS_PG_DSN is not a valid DSN: {exc}") from None
        self._dsn = dsn
        self.host = str(params.get("host") or "localhost")
        self.port = int(params.get("port") or 5432)
        self.user = str(params.get("user") or "postgres")
        self.version = ""

    def dsn(self, dbname: str = "postgres") -> str:
        return make_conninfo(self._dsn, dbname=dbname)

    def start(self) -> None:
        try:
            self.version = self.query_version(CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or ["no answer"])[0]
            raise ServerError(
                f"external PostgreSQL {self.host}:{self.port} does not answer: {first}"
            ) from None


class ExternalRedis(RedisServer, _External):
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ConfigError(f"HARNESS_REDIS_URL must look like redis://host:port/0, got {url!r}")
        self._parts = parts
        self.host = parts.hostname
        self.port = parts.port or 6379
        self.version = ""

    def url(self, db: int = 0) -> str:
        return urlunsplit(self._parts._replace(path=f"/{db}"))

    def start(self) -> None:
        try:
            self.version = self.query_version(CONNECT_TIMEOUT_S)
        except redis_client.RedisError as exc:
            raise ServerError(
                f"external Redis {self.host}:{self.port} does not answer: {exc}"
            ) from None


class ExternalBackend(Backend):
    name = "external"
    summary = "servers given by HARNESS_PG_DSN / HARNESS_REDIS_URL; never killed or restarted"

    def problem(self, settings: Settings) -> str | None:
        if settings.pg_dsn is None and settings.redis_url is None:
            return "neither HARNESS_PG_DSN nor HARNESS_REDIS_URL is set"
        return None

    def describe(self, settings: Settings) -> list[str]:
        return [
            f"postgres: {_redact(settings.pg_dsn) if settings.pg_dsn else 'not set (HARNESS_PG_DSN)'}",
            f"redis: {_redact(settings.redis_url) if settings.redis_url else 'not set (HARNESS_REDIS_URL)'}",
        ]

    def postgres(self, settings: Settings, workdir: Path | None = None) -> ExternalPostgres:
        if settings.pg_dsn is None:
            raise BackendUnavailable("backend 'external' has no PostgreSQL: set HARNESS_PG_DSN")
        return ExternalPostgres(settings.pg_dsn)

    def redis(self, settings: Settings, workdir: Path | None = None) -> ExternalRedis:
        if settings.redis_url is None:
            raise BackendUnavailable("backend 'external' has no Redis: set HARNESS_REDIS_URL")
        return ExternalRedis(settings.redis_url)


def _redact(text: str) -> str:
    """Hide a password in a DSN or URL before printing it."""
    if "://" in text:
        parts = urlsplit(text)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
        return text
    try:
        params = conninfo_to_dict(text)
    except psycopg.ProgrammingError:
        return "<invalid DSN>"
    if "password" in params:
        params["password"] = "***"
    return make_conninfo(**{k: str(v) for k, v in params.items()})


register(ExternalBackend())

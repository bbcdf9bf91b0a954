"""The ``local`` backend: servers from system binaries, else from the pip wheels."""

from __future__ import annotations

from pathlib import Path

from harness.backends.binaries import find_postgres, find_redis
from harness.backends.pg_local import LocalPostgres
from harness.backends.redis_local import LocalRedis
from harness.backends.registry import Backend, register
from harness.backends.runas import server_user
from harness.backends.settings import Settings
from harness.errors import HarnessError


class LocalBackend(Backend):
    name = "local"
    summary = "PostgreSQL and Redis processes the harness starts on free loopback ports"

    def problem(self, settings: Settings) -> str | None:
        try:
            find_postgres(settings)
            find_redis(settings)
            server_user(settings.pg_user)
            settings.port("pg_port"), settings.port("redis_port"), settings.flag("pg_fsync")
            settings.flag("keep_servers")
        except HarnessError as exc:
            return str(exc)
        return None

    def describe(self, settings: Settings) -> list[str]:
        pg, rd = find_postgres(settings), find_redis(settings)
        user = server_user(settings.pg_user)
        return [
            f"postgres {pg.version} from {pg.origin}: {pg.path} (runs as {user.name})",
            f"redis {rd.version} from {rd.origin}: {rd.path}",
        ]

    def postgres(self, settings: Settings, workdir: Path | None = None) -> LocalPostgres:
        return LocalPostgres(
            find_postgres(settings),
            server_user(settings.pg_user),
            fsync=settings.flag("pg_fsync"),
            workdir=workdir,
            port=settings.port("pg_port"),
            outlive_owner=settings.flag("keep_servers"),
        )

    def redis(self, settings: Settings, workdir: Path | None = None) -> LocalRedis:
        return LocalRedis(
            find_redis(settings),
            workdir=workdir,
            port=settings.port("redis_port"),
            outlive_owner=settings.flag("keep_servers"),
        )


register(LocalBackend())

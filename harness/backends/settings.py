"""Backend settings: one table, read from explicit values, the environment, then a config file.

Precedence, highest first: an explicit value (command line or pytest option/ini),
the ``HARNESS_*`` environment variable, the TOML config file
(``HARNESS_CONFIG`` / ``--config``), the default. An explicit empty string is
kept as given: nothing here does ``value or default``.

Paths (``pg_bindir``, ``redis_server``) are made absolute here, once: a
relative one given on the command line or in the environment is relative to
the current directory, one in the config file to the file's directory. (The
servers run in their own work directories, where a relative path means
something else.)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from harness.errors import ConfigError


@dataclass(frozen=True)
class SettingSpec:
    name: str
    help: str
    default: str | None = None

    @property
    def env(self) -> str:
        return "HARNESS_" + self.name.upper()


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("backend", "server backend: local, testcontainers or external", "local"),
    SettingSpec("config", "TOML file with these settings as top-level keys"),
    SettingSpec("pg_bindir", "directory holding the PostgreSQL binaries (postgres, initdb)"),
    SettingSpec("redis_server", "path of the redis-server binary"),
    SettingSpec("no_system_binaries", "1: ignore system server binaries (use the wheels)", "0"),
    SettingSpec("no_wheel_binaries", "1: ignore the binaries of the pip wheels", "0"),
    SettingSpec("pg_port", "fixed PostgreSQL port (default: a free one)"),
    SettingSpec("redis_port", "fixed Redis port (default: a free one)"),
    SettingSpec("pg_fsync", "1: run PostgreSQL with fsync=on (default off, see docs)", "0"),
    SettingSpec("pg_user", "unprivileged user that runs PostgreSQL when the harness is root"),
    SettingSpec("pg_dsn", "external backend: DSN of a PostgreSQL server the harness does not own"),
    SettingSpec("redis_url", "external backend: URL of a Redis server the harness does not own"),
    SettingSpec(
        "keep_servers",
        "1: leave the session servers running at the end and print how to connect",
        "0",
    ),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}
PATH_SETTINGS = ("pg_bindir", "redis_server")
FLAG_SETTINGS = ("no_system_binaries", "no_wheel_binaries", "pg_fsync", "keep_servers")
PORT_SETTINGS = ("pg_port", "redis_port")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; ``sources`` says where each value came from (for ``harness doctor``)."""

    backend: str = "local"
    config: str | None = None
    pg_bindir: str | None = None
    redis_server: str | None = None
    no_system_binaries: str = "0"
    no_wheel_binaries: str = "0"
    pg_port: str | None = None
    redis_port: str | None = None
    pg_fsync: str = "0"
    pg_user: str | None = None
    pg_dsn: str | None = None
    redis_url: str | None = None
    keep_servers: str = "0"
    sources: tuple[tuple[str, str], ...] = ()

    def source(self, name: str) -> str:
        return dict(self.sources).get(name, "default")

    def flag(self, name: str) -> bool:
        raw = str(getattr(self, name)).strip().lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ConfigError(f"{self._where(name)} must be 1 or 0, got {raw!r}")

    def port(self, name: str) -> int | None:
        raw = getattr(self, name)
        if raw is None or str(raw).strip() == "":
            return None
        try:
            port = int(raw)
        except ValueError:
            port = -1
        if not 1 <= port <= 65535:
            raise ConfigError(f"{self._where(name)} must be a port number 1-65535, got {raw!r}")
        return port

    def check(self) -> None:
        """Every flag and port parses: a bad one is one error before any server starts."""
        for name in FLAG_SETTINGS:
            self.flag(name)
        for name in PORT_SETTINGS:
            self.port(name)

    def _where(self, name: str) -> str:
        """The setting as the user gave it: the option, the ini key or the variable."""
        env, source = SPEC_BY_NAME[name].env, self.source(name)
        if source == env or source.startswith(("--", "ini key ")):
            return source
        return f"{env} ({source})"


def load_config(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a TOML settings file; every problem is one ConfigError line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot read config {p}: {reason}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {p} is not valid TOML: {exc}") from None
    section = data.get("harness", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config {p}: [harness] must be a table")
    unknown = sorted(set(section) - set(SPEC_BY_NAME) - {"config"})
    if unknown:
        known = ", ".join(s.name for s in SPECS if s.name != "config")
        raise ConfigError(f"config {p}: unknown setting {unknown[0]!r}; known: {known}")
    return {
        k: str(v) if not isinstance(v, bool) else ("1" if v else "0") for k, v in section.items()
    }


def resolve(
    explicit: Mapping[str, str | None] | None = None,
    env: Mapping[str, str] | None = None,
    explicit_sources: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from explicit values, then the environment, then the config file, then defaults.

    ``explicit_sources`` names where an explicit value came from (``--harness-pg-port``,
    ``ini key harness_pg_port``), so that an error names what the user wrote.
    """
    explicit = explicit or {}
    named = explicit_sources or {}
    env = os.environ if env is None else env
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for spec in SPECS:
        if explicit.get(spec.name) is not None:
            values[spec.name] = explicit[spec.name]
            sources[spec.name] = named.get(spec.name, "explicit")
        elif spec.env in env:
            values[spec.name], sources[spec.name] = env[spec.env], spec.env
    for name in PATH_SETTINGS:
        if name in values:
            values[name] = _absolute(values[name], Path.cwd())
    config_path = values.get("config")
    if config_path:
        for name, value in load_config(config_path).items():
            if name not in values:
                values[name], sources[name] = value, f"config {config_path}"
                if name in PATH_SETTINGS:
                    values[name] = _absolute(value, Path(config_path).absolute().parent)
    kwargs = {
        f.name: values.get(f.name, SPEC_BY_NAME[f.name].default)
        for f in fields(Settings)
        if f.name in SPEC_BY_NAME
    }
    return Settings(**kwargs, sources=tuple(sorted(sources.items())))  # type: ignore[arg-type]


def _absolute(value: str | None, base: Path) -> str | None:
    """``value`` as an absolute path against ``base`` (None and "" stay as given)."""
    if not value:
        return value
    return str(base / Path(value).expanduser())

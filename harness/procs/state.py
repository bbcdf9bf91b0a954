"""Where the harness keeps things: run records and caches (the state directory), and
the servers' working directories (the work directory).

State: ``HARNESS_CACHE_DIR`` if set, else ``<tmp>/fault-harness-<uid>``.
Work: ``HARNESS_WORK_DIR`` if set, else ``/dev/shm/fault-harness-<uid>`` when
that is a tmpfs with room, else ``<state>/work``. On tmpfs a server's data
directory is copied in ~0.15 s where the disk here took 1-3 s under load; a
SIGKILLed server loses nothing there either (its writes are in memory, as in
the page cache), and power loss is modelled by the disk-fault layer, not here.

Directories are mode 0711: an unprivileged server user (PostgreSQL refuses
root) may traverse them to reach its own data directory, but not list them.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

from harness.errors import ConfigError

SHM = Path("/dev/shm")
SHM_MIN_FREE_BYTES = 1 << 30


def _private_dir(path: Path, setting: str) -> Path:
    try:
        path.mkdir(mode=0o711, parents=True, exist_ok=True)
        st = path.lstat()
    except OSError as exc:
        raise ConfigError(f"cannot create the harness directory {path}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise ConfigError(
            f"{path} is not a directory owned by this user; set {setting} to one that is"
        )
    if st.st_mode & 0o777 != 0o711:
        # Group/other write would let another user plant records or binaries.
        os.chmod(path, 0o711)
    return path


def state_dir() -> Path:
    raw = os.environ.get("HARNESS_CACHE_DIR")
    base = Path(raw) if raw else Path(tempfile.gettempdir()) / f"fault-harness-{os.geteuid()}"
    return _private_dir(base, "HARNESS_CACHE_DIR")


def subdir(name: str, mode: int = 0o711) -> Path:
    path = state_dir() / name
    path.mkdir(mode=mode, exist_ok=True)
    return path


def work_dir() -> Path:
    raw = os.environ.get("HARNESS_WORK_DIR")
    if raw:
        return _private_dir(Path(raw), "HARNESS_WORK_DIR")
    if _roomy_tmpfs(SHM):
        return _private_dir(SHM / f"fault-harness-{os.geteuid()}", "HARNESS_WORK_DIR")
    return _private_dir(state_dir() / "work", "HARNESS_WORK_DIR")


def _roomy_tmpfs(path: Path) -> bool:
    try:
        return (
            path.is_dir()
            and os.access(path, os.W_OK)
            and shutil.disk_usage(path).free >= SHM_MIN_FREE_BYTES
        )
    except OSError:
        return False


def make_temp_dir(prefix: str) -> Path:
    """A new directory in the work directory (mode 0711); the caller tracks and removes it."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=work_dir()))
    os.chmod(path, 0o711)
    return path

"""The harness's state directory: run records, work directories, caches.

``HARNESS_CACHE_DIR`` if set, else ``<tmp>/fault-harness-<uid>``. Mode 0711:
an unprivileged server user (PostgreSQL refuses root) may traverse it to reach
its own data directory, but not list it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from harness.errors import ConfigError


def state_dir() -> Path:
    raw = os.environ.get("HARNESS_CACHE_DIR")
    base = Path(raw) if raw else Path(tempfile.gettempdir()) / f"fault-harness-{os.geteuid()}"
    try:
        base.mkdir(mode=0o711, parents=True, exist_ok=True)
        st = base.lstat()
    except OSError as exc:
        raise ConfigError(
            f"cannot create the harness state directory {base}: {exc.strerror}"
        ) from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise ConfigError(
            f"{base} is not a directory owned by this user; set HARNESS_CACHE_DIR to one that is"
        )
    if st.st_mode & 0o777 != 0o711:
        # Group/other write would let another user plant records or binaries.
        os.chmod(base, 0o711)
    return base


def subdir(name: str, mode: int = 0o711) -> Path:
    path = state_dir() / name
    path.mkdir(mode=mode, exist_ok=True)
    return path


def make_temp_dir(prefix: str) -> Path:
    """A new directory under ``<state>/work`` (mode 0711); the caller tracks and removes it."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=subdir("work")))
    os.chmod(path, 0o711)
    return path

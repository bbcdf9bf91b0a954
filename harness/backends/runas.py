"""Running a server as an unprivileged user when the harness is root.

PostgreSQL refuses to run as root. As root the harness runs it as
``HARNESS_PG_USER`` (default ``nobody``), with a data directory that user owns.
Binaries under a directory that user cannot traverse (a virtualenv under
``/root``, mode 0700) are copied once into the state directory, readable by all.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

from harness.errors import ConfigError, ServerError
from harness.procs import state


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int
    name: str

    @property
    def switches(self) -> bool:
        return self.uid != os.geteuid()

    def popen_kwargs(self) -> dict[str, Any]:
        if not self.switches:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def chown(self, path: Path) -> None:
        if self.switches:
            os.chown(path, self.uid, self.gid)

    def can_use(self, path: Path, mode: int = os.R_OK | os.X_OK) -> bool:
        """Whether this user can traverse to ``path`` and access it with ``mode``."""
        if not self.switches:
            return os.access(path, mode)
        path = path.absolute()
        try:
            for parent in reversed(path.parents):
                if not self._allowed(parent.stat(), os.X_OK):
                    return False
            return self._allowed(path.stat(), mode)
        except OSError:
            return False

    def _allowed(self, st: os.stat_result, mode: int) -> bool:
        if st.st_uid == self.uid:
            shift = 6
        elif st.st_gid == self.gid:
            shift = 3
        else:
            shift = 0
        bits = (st.st_mode >> shift) & 0o7
        return bits & mode == mode


def server_user(name: str | None) -> RunAs:
    """Who runs PostgreSQL: this process if not root, else ``name`` (default ``nobody``)."""
    if os.geteuid() != 0:
        return RunAs(os.geteuid(), os.getegid(), pwd.getpwuid(os.geteuid()).pw_name)
    wanted = name or "nobody"
    try:
        entry = pwd.getpwnam(wanted)
    except KeyError:
        raise ConfigError(
            f"user {wanted!r} does not exist; set HARNESS_PG_USER to an unprivileged user "
            "(PostgreSQL refuses to run as root)"
        ) from None
    if entry.pw_uid == 0:
        raise ConfigError("HARNESS_PG_USER must not be root: PostgreSQL refuses to run as root")
    return RunAs(entry.pw_uid, entry.pw_gid, wanted)


def reachable_copy(parts: dict[str, Path], probe: str, user: RunAs) -> Path:
    """A cached, world-readable copy of ``parts`` (relative name -> source), laid out together.

    ``probe`` (relative to the copy) must be executable by ``user`` afterwards.
    """
    # Keyed by content (the probe's size and mtime, which copies keep), not by place:
    # every copy of the same wheel shares one cache entry.
    source = next(
        v / Path(probe).relative_to(k) for k, v in parts.items() if probe.startswith(k + "/")
    )
    st = source.stat()
    digest = hashlib.sha1(repr((sorted(parts), st.st_size, st.st_mtime_ns)).encode())
    target = state.subdir("bin", 0o755) / f"{Path(probe).parts[0]}-{digest.hexdigest()[:12]}"
    with filelock.FileLock(str(target) + ".lock"):
        if not target.exists():
            tmp = target.with_name(target.name + f".tmp{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            for rel, source in parts.items():
                shutil.copytree(source, tmp / rel, symlinks=True)
            _open_up(tmp)
            tmp.rename(target)
    if not user.can_use(target / probe):
        raise ServerError(
            f"user {user.name} cannot execute {target / probe}; set HARNESS_CACHE_DIR to a "
            "directory every user can traverse"
        )
    return target


def _open_up(tree: Path) -> None:
    """Readable by all; directories and executables also traversable/executable by all."""
    for root, dirs, files in os.walk(tree):
        for path in [Path(root)] + [Path(root, n) for n in dirs + files]:
            if path.is_symlink():
                continue
            mode = path.stat().st_mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
            if path.is_dir() or mode & stat.S_IXUSR:
                mode |= stat.S_IXGRP | stat.S_IXOTH
            path.chmod(mode)


def run_as(user: RunAs, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, text=True, capture_output=True, check=False, **user.popen_kwargs(), **kwargs
    )

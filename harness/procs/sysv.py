"""System V shared memory segments a server created: found, checked and removed.

PostgreSQL keeps a small System V segment per postmaster (its key and id are on line 7
of ``postmaster.pid``). A clean shutdown removes it; a SIGKILLed postmaster leaves it
for good once its data directory is gone. The harness records each segment its own
servers create (``procs.track_segment``) and removes it once the server is stopped,
or, for a killed run, in the next run's reaper.

A segment is removed only if it is still the one recorded: same id, same key, and
created by the recorded server process (``cpid`` in ``/proc/sysvipc/shm``). The system
PostgreSQL and other runs' servers are never touched, whatever user they run as.
"""

from __future__ import annotations

import contextlib
import ctypes
from dataclasses import dataclass
from pathlib import Path

_TABLE = Path("/proc/sysvipc/shm")
_IPC_RMID = 0


@dataclass(frozen=True)
class Segment:
    key: int
    shmid: int
    creator_pid: int
    attached: int


def segments() -> list[Segment]:
    """Every System V shared memory segment on this machine (empty where there is no table)."""
    try:
        lines = _TABLE.read_text().splitlines()[1:]
    except OSError:
        return []
    out = []
    for line in lines:
        fields = line.split()
        with contextlib.suppress(ValueError, IndexError):
            out.append(Segment(int(fields[0]), int(fields[1]), int(fields[4]), int(fields[6])))
    return out


def find(shmid: int) -> Segment | None:
    return next((s for s in segments() if s.shmid == shmid), None)


def remove(shmid: int, key: int, creator_pid: int) -> bool:
    """Remove the segment if it is still the one recorded; True if it is gone now."""
    seg = find(shmid)
    if seg is None:
        return True
    if seg.key != key or seg.creator_pid != creator_pid:
        return True  # the id was reused by someone else's segment: ours is gone
    libc = ctypes.CDLL(None, use_errno=True)
    # Marked for removal; the kernel frees it when the last process detaches.
    return int(libc.shmctl(shmid, _IPC_RMID, None)) == 0


def postgres_segment(datadir: Path) -> tuple[int, int] | None:
    """(key, shmid) of a running postmaster's segment, from line 7 of its postmaster.pid."""
    try:
        lines = (datadir / "postmaster.pid").read_text().splitlines()
        key, shmid = (int(v) for v in lines[6].split())
    except (OSError, IndexError, ValueError):
        return None
    return key, shmid

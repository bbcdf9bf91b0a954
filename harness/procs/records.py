"""Run records on disk: which processes and paths each live harness process owns.

Layout: ``<state>/runs/<owner pid>-<owner start time>/`` holds one JSON file per
tracked process (``p<pid>.json``), path (``d<hash>.json``) or System V shared
memory segment (``s<shmid>.json``). A record whose
owner is gone (its pid dead, or reused by a process that started at another
time) is stale: the next run reaps it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from harness.procs.state import subdir


@dataclass(frozen=True)
class ProcRecord:
    pid: int
    create_time: float
    role: str
    stop_signal: int

    @property
    def filename(self) -> str:
        return f"p{self.pid}.json"


@dataclass(frozen=True)
class PathRecord:
    path: str

    @property
    def filename(self) -> str:
        return "d" + hashlib.sha1(self.path.encode()).hexdigest()[:16] + ".json"


@dataclass(frozen=True)
class SegmentRecord:
    """A System V shared memory segment a tracked server created (see ``sysv``)."""

    shmid: int
    key: int
    creator_pid: int

    @property
    def filename(self) -> str:
        return f"s{self.shmid}.json"


Record = ProcRecord | PathRecord | SegmentRecord
_KINDS: dict[str, type[ProcRecord] | type[PathRecord] | type[SegmentRecord]] = {
    "proc": ProcRecord,
    "path": PathRecord,
    "segment": SegmentRecord,
}


def create_time(pid: int) -> float | None:
    """When ``pid`` started; None if it is gone or a zombie (dead, waiting to be reaped:
    an owner SIGKILLed with its parent stays a zombie until init gets to it)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None


def same_process(pid: int, started: float) -> bool:
    """True if ``pid`` is alive and is the very process that started at ``started``."""
    now = create_time(pid)
    return now is not None and abs(now - started) < 0.05


def runs_dir() -> Path:
    return subdir("runs", 0o700)


def owner_dir(pid: int | None = None) -> Path:
    pid = os.getpid() if pid is None else pid
    started = create_time(pid)
    return runs_dir() / f"{pid}-{started!r}"


def parse_owner(run: Path) -> tuple[int, float] | None:
    pid, _, started = run.name.partition("-")
    try:
        return int(pid), float(started)
    except ValueError:
        return None


def write(run: Path, record: Record) -> None:
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    kind = next(k for k, cls in _KINDS.items() if isinstance(record, cls))
    tmp = run / (record.filename + ".tmp")
    tmp.write_text(json.dumps({"kind": kind, **asdict(record)}))
    tmp.replace(run / record.filename)


def remove(run: Path, record: Record) -> None:
    with contextlib.suppress(FileNotFoundError):
        (run / record.filename).unlink()


def read_all(run: Path) -> list[Record]:
    out: list[Record] = []
    for file in sorted(run.glob("*.json")):
        try:
            data: dict[str, Any] = json.loads(file.read_text())
            kind = data.pop("kind")
            out.append(_KINDS[kind](**data))
        except (OSError, ValueError, TypeError, KeyError):
            continue  # half-written by a killed run: nothing to act on
    return out


def remove_run(run: Path) -> None:
    shutil.rmtree(run, ignore_errors=True)

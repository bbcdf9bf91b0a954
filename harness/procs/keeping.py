"""Servers kept after their run (``HARNESS_KEEP_SERVERS=1``, ``harness repro --keep``).

Policy: a kept server is moved out of its run's records into
``<state>/kept/<role>-<pid>.json`` (with its work directory and how to connect).
The reaper (``reap_stale``) never kills a kept server, so a user inspecting it
is not surprised by the next run; it only removes the files of a kept server
that is no longer running (stopped with ``kill``). Nothing stops a kept server
by itself: ``harness doctor`` lists every one with its stop command, every
pytest run names them in its header, and ``harness doctor --stop-kept`` (or
``procs.stop_kept()``) stops them and removes their files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from harness.procs import sysv
from harness.procs.records import ProcRecord, same_process
from harness.procs.state import subdir
from harness.procs.stopping import stop

STOP_COMMAND = "harness doctor --stop-kept"


@dataclass(frozen=True)
class KeptRecord:
    pid: int
    create_time: float
    role: str  # "postgres", "redis"
    stop_signal: int
    paths: tuple[str, ...]  # removed once it is stopped
    connect: str  # a command line that connects to it
    address: str  # host:port
    kept_at: float
    run: str = ""  # which pytest session kept it (to print its own at the end)
    segments: tuple[tuple[int, int, int], ...] = ()  # (shmid, key, creator pid): removed with it

    @property
    def filename(self) -> str:
        return f"{self.role}-{self.pid}.json"

    @property
    def proc(self) -> ProcRecord:
        return ProcRecord(self.pid, self.create_time, self.role, self.stop_signal)

    def running(self) -> bool:
        # A zombie is stopped: a killed server whose parent is gone waits for init to reap it.
        if not same_process(self.pid, self.create_time):
            return False
        try:
            return psutil.Process(self.pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def kill_command(self) -> str:
        return f"kill -{signal.Signals(self.stop_signal).name.removeprefix('SIG')} {self.pid}"

    def describe(self) -> str:
        """One line: what it is, how to connect, how to stop it."""
        return (
            f"kept {self.role} (pid {self.pid}) on {self.address}: connect: {self.connect}; "
            f"stop: {STOP_COMMAND} (or {self.kill_command()})"
        )


def kept_dir() -> Path:
    return subdir("kept", 0o700)


def write(record: KeptRecord) -> None:
    folder = kept_dir()
    tmp = folder / (record.filename + ".tmp")
    tmp.write_text(json.dumps(asdict(record)))
    tmp.replace(folder / record.filename)


def read_all() -> list[KeptRecord]:
    out: list[KeptRecord] = []
    for file in sorted(kept_dir().glob("*.json")):
        try:
            data: dict[str, Any] = json.loads(file.read_text())
            data["paths"] = tuple(data["paths"])
            data["segments"] = tuple(tuple(s) for s in data.get("segments", ()))
            out.append(KeptRecord(**data))
        except (OSError, ValueError, TypeError, KeyError):
            continue  # half-written: the writer renames whole files, so this is foreign
    return out


def forget(record: KeptRecord) -> None:
    """Remove its files and its record (once it is no longer running)."""
    for path in record.paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    for shmid, key, creator_pid in record.segments:
        sysv.remove(shmid, key, creator_pid)
    with contextlib.suppress(FileNotFoundError):
        (kept_dir() / record.filename).unlink()


def prune() -> None:
    """Forget kept servers that are no longer running (the user killed them)."""
    for record in read_all():
        if not record.running():
            forget(record)


def stop_kept(pids: set[int] | None = None, timeout_s: float = 10.0) -> list[KeptRecord]:
    """Stop kept servers (all, or those with these pids), remove their files; returns them."""
    chosen = [r for r in read_all() if pids is None or r.pid in pids]
    stop([r.proc for r in chosen if r.running()], timeout_s)
    for record in chosen:
        forget(record)
    return chosen

"""Process hygiene: nothing the harness starts outlives its run.

Every process the harness (or a helper built on it) starts is passed to
``track``; every temporary directory to ``track_path``; every System V shared
memory segment its servers create to ``track_segment``. Each is recorded on
disk under ``<state>/runs/<owner>/`` and stopped/removed:

- at interpreter exit (``atexit``), at pytest's end, on SIGTERM/SIGHUP;
- by the next run, if this one was killed with SIGKILL and could do nothing:
  ``reap_stale`` (called before anything is started) kills the processes of
  every run whose owner is gone, after checking via the start time that each
  pid is still the recorded process, and removes its paths.

A session server may be *kept* instead (``keep``; ``HARNESS_KEEP_SERVERS=1``):
it then outlives its run and the reaper, until ``stop_kept`` (see ``keeping.py``).

Usage::

    proc = subprocess.Popen([...], start_new_session=True)
    procs.track(proc, "proxy")
    ...
    procs.untrack(proc.pid)  # after stopping it yourself
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from types import FrameType

import filelock

from harness.procs import keeping as _kept
from harness.procs import records, sysv
from harness.procs.keeping import STOP_COMMAND as STOP_KEPT_COMMAND
from harness.procs.keeping import KeptRecord, stop_kept
from harness.procs.parentdeath import die_with_parent, die_with_parent_now
from harness.procs.records import PathRecord, ProcRecord, SegmentRecord
from harness.procs.state import make_temp_dir, state_dir
from harness.procs.stopping import stop

__all__ = [
    "STOP_KEPT_COMMAND",
    "KeptRecord",
    "ProcRecord",
    "die_with_parent",
    "die_with_parent_now",
    "install_signal_handlers",
    "keep",
    "kept",
    "make_temp_dir",
    "reap_stale",
    "release_segments",
    "remove_path",
    "state_dir",
    "stop",
    "stop_all",
    "stop_kept",
    "temp_dir",
    "track",
    "track_path",
    "track_segment",
    "tracked",
    "untrack",
    "untrack_path",
]

_lock = threading.RLock()
_procs: dict[int, ProcRecord] = {}
_paths: dict[str, PathRecord] = {}
_segments: dict[int, SegmentRecord] = {}
_state: dict[str, object] = {"reaped": False, "atexit": False, "owner_pid": -1, "run_dir": None}


def _run_dir() -> Path:
    run = _state["run_dir"]
    if not isinstance(run, Path) or _state["owner_pid"] != os.getpid():
        run = records.owner_dir()
        _state["run_dir"] = run
    return run


def _first_use() -> None:
    # After a fork the child owns nothing of its parent's.
    if _state["owner_pid"] != os.getpid():
        _procs.clear()
        _paths.clear()
        _segments.clear()
        _state["owner_pid"] = os.getpid()
        _state["run_dir"] = records.owner_dir()
    if not _state["reaped"]:
        _state["reaped"] = True
        reap_stale()
    if not _state["atexit"]:
        _state["atexit"] = True
        atexit.register(stop_all)


def track(
    proc: int | subprocess.Popen[bytes] | subprocess.Popen[str],
    role: str,
    *,
    stop_signal: int = signal.SIGTERM,
) -> ProcRecord | None:
    """Record a process this run started; it is stopped at exit unless ``untrack``ed first.

    ``stop_signal`` is its graceful stop (SIGINT for PostgreSQL's fast shutdown);
    SIGKILL follows after a grace period. A process that leads its own process
    group (``start_new_session=True``) is stopped with its whole group.
    """
    pid = proc if isinstance(proc, int) else proc.pid
    started = records.create_time(pid)
    if started is None:
        return None  # already gone: nothing can leak
    with _lock:
        _first_use()
        record = ProcRecord(pid, started, role, int(stop_signal))
        records.write(_run_dir(), record)
        _procs[pid] = record
        return record


def untrack(pid: int) -> None:
    with _lock:
        record = _procs.pop(pid, None)
        if record is not None:
            records.remove(_run_dir(), record)


def tracked() -> list[tuple[int, str]]:
    """(pid, role) of every process this process tracks."""
    with _lock:
        return [(r.pid, r.role) for r in _procs.values()]


def keep(
    pid: int,
    paths: list[str | os.PathLike[str]],
    *,
    connect: str,
    address: str,
    run: str = "",
) -> KeptRecord | None:
    """Hand a tracked process (and its paths) over to the kept records: it outlives this run.

    Neither this run's exit nor the next run's reaper stops it; ``stop_kept`` (``harness
    doctor --stop-kept``) does. The kept record is written before the run's records are
    dropped, so a kill in between leaves it reapable, never untracked.
    """
    with _lock:
        record = _procs.get(pid)
        if record is None or not records.same_process(pid, record.create_time):
            return None
        kept_record = KeptRecord(
            pid,
            record.create_time,
            record.role,
            record.stop_signal,
            tuple(str(Path(p).absolute()) for p in paths),
            connect,
            address,
            time.time(),
            run,
            tuple(
                (r.shmid, r.key, r.creator_pid) for r in _segments.values() if r.creator_pid == pid
            ),
        )
        _kept.write(kept_record)
        untrack(pid)
        for path in paths:
            untrack_path(path)
        for seg in [r for r in _segments.values() if r.creator_pid == pid]:
            _segments.pop(seg.shmid, None)
            records.remove(_run_dir(), seg)
        return kept_record


def kept() -> list[KeptRecord]:
    """The kept servers still running (records of those that are not are dropped)."""
    return [r for r in _kept.read_all() if r.running()]


def track_segment(shmid: int, key: int, creator_pid: int) -> None:
    """Record a System V shared memory segment a tracked server created: it is removed
    once that server is stopped (``release_segments``), at exit, or by the next run."""
    with _lock:
        _first_use()
        record = SegmentRecord(shmid, key, creator_pid)
        records.write(_run_dir(), record)
        _segments[shmid] = record


def release_segments(creator_pid: int) -> None:
    """Remove the recorded segments of a server that has stopped (its pid, now dead)."""
    with _lock:
        for record in [r for r in _segments.values() if r.creator_pid == creator_pid]:
            if sysv.remove(record.shmid, record.key, record.creator_pid):
                _segments.pop(record.shmid, None)
                records.remove(_run_dir(), record)


def track_path(path: str | os.PathLike[str]) -> None:
    """Record a file or directory to remove at exit (or by the next run)."""
    with _lock:
        _first_use()
        record = PathRecord(str(Path(path).absolute()))
        records.write(_run_dir(), record)
        _paths[record.path] = record


def untrack_path(path: str | os.PathLike[str]) -> None:
    with _lock:
        record = _paths.pop(str(Path(path).absolute()), None)
        if record is not None:
            records.remove(_run_dir(), record)


def temp_dir(prefix: str) -> Path:
    """A fresh tracked directory under the state dir, reachable (0711) by a server user."""
    path = make_temp_dir(prefix)
    track_path(path)
    return path


def remove_path(path: str | os.PathLike[str]) -> None:
    _remove(str(path))
    untrack_path(path)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def stop_all(timeout_s: float = 5.0) -> None:
    """Stop every tracked process and remove every tracked path of this process."""
    with _lock:
        if _state["owner_pid"] != os.getpid():
            return  # a forked child: its parent's records are not its own
        procs, paths = list(_procs.values()), list(_paths.values())
        stop(procs, timeout_s)
        for p in paths:
            _remove(p.path)
        for seg in _segments.values():
            sysv.remove(seg.shmid, seg.key, seg.creator_pid)
        _procs.clear()
        _paths.clear()
        _segments.clear()
        run = _run_dir()
        if run.exists():
            records.remove_run(run)


def reap_stale() -> int:
    """Kill the processes and remove the paths of every run whose owner is gone.

    Kept servers (``keep``) are not in any run's records, so they are left running;
    the files of those no longer running are removed. Returns the number of live processes killed.
    """
    runs = records.runs_dir()
    killed = 0
    with filelock.FileLock(str(runs / ".reap.lock")):
        for run in sorted(p for p in runs.iterdir() if p.is_dir()):
            owner = records.parse_owner(run)
            if owner is not None and records.same_process(*owner):
                continue
            found = records.read_all(run)
            procs = [r for r in found if isinstance(r, ProcRecord)]
            live = [r for r in procs if records.same_process(r.pid, r.create_time)]
            killed += len(live)
            stop(live, graceful=False)
            for r in found:
                if isinstance(r, PathRecord):
                    _remove(r.path)
                elif isinstance(r, SegmentRecord):
                    sysv.remove(r.shmid, r.key, r.creator_pid)
            records.remove_run(run)
        _kept.prune()  # kept servers are the user's to stop; only the files of dead ones go
    return killed


def install_signal_handlers() -> None:
    """On SIGTERM/SIGHUP: stop everything tracked, then die of the same signal.

    Only replaces default handlers, and only from the main thread. (Ctrl-C is a
    KeyboardInterrupt: pytest tears down its fixtures and ``atexit`` does the rest;
    servers run in their own sessions, so the terminal's SIGINT never reaches them.)
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    stop_all(timeout_s=2.0)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)

"""Stopping processes for good: a signal to the whole process group, a grace period, SIGKILL.

A server started with ``start_new_session`` leads its own process group, so
signalling the group reaches its children too (PostgreSQL's backends). A pid
is only ever signalled after checking, via its start time, that it is still
the process that was recorded: a reused pid is left alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable

import psutil

from harness.procs.records import ProcRecord, same_process


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _members(record: ProcRecord) -> list[psutil.Process]:
    """The recorded process and its descendants, if it is still the recorded process."""
    if not same_process(record.pid, record.create_time):
        return []
    try:
        leader = psutil.Process(record.pid)
        return [leader, *leader.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _signal(record: ProcRecord, members: list[psutil.Process], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if members and os.getpgid(record.pid) == record.pid:
            os.killpg(record.pid, sig)
    for proc in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.send_signal(sig)


def _wait(procs: list[psutil.Process], deadline: float) -> list[psutil.Process]:
    """Wait until every process is gone (reaping our own children); return the rest."""
    alive = list(procs)
    while alive:
        for proc in list(alive):
            with contextlib.suppress(
                psutil.TimeoutExpired, psutil.NoSuchProcess, ChildProcessError
            ):
                proc.wait(timeout=0)  # reaps a child of ours; harmless for others
            if _gone(proc):
                alive.remove(proc)
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.005)
    return alive


def stop(records: Iterable[ProcRecord], timeout_s: float = 5.0, *, graceful: bool = True) -> None:
    """Stop every recorded process (and its group): its stop signal, then SIGKILL after ``timeout_s``."""
    groups = [(r, _members(r)) for r in records]
    groups = [(r, m) for r, m in groups if m]
    if graceful:
        for record, members in groups:
            _signal(record, members[:1], record.stop_signal)
        left = _wait([p for _, m in groups for p in m], time.monotonic() + timeout_s)
        if not left:
            return
    for record, members in groups:
        _signal(record, members, signal.SIGKILL)
    _wait([p for _, m in groups for p in m], time.monotonic() + 10.0)

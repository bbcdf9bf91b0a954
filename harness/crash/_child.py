"""The child side: a job, the controller armed at crash points, and the child's main.

A child says hello (its pid, and a pidfd of itself so the parent can signal
it without a pid-reuse race), waits for the parent's first ``go`` if the job
says so (race workers start paused; a crash case starts at once), runs its
target and reports how it ended, then leaves with ``os._exit``: never pytest's
atexit hooks, fixtures or buffered output of the parent it was forked from.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from harness import crashpoints
from harness.crash import child, landing
from harness.crash._wire import Channel

#: ``Job.stop`` value: stop at every point (race workers run in lockstep).
EVERY_POINT = "*"

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Job:
    """What one child runs and where it waits for the parent."""

    target: Callable[[], Any]
    process: str = "child"
    #: None: crash points stay unarmed (hammering); a set: report every point and
    #: wait at these; EVERY_POINT: wait at each one.
    stop: frozenset[str] | str | None = frozenset()
    #: record the whole call as one history op named so (None: the target records its own)
    record_as: str | None = None
    fail_on: tuple[type[BaseException], ...] = ()
    #: wait for the parent's ``go`` before running (False: start at once)
    wait_start: bool = True


class _Controller:
    """Armed in the child: numbers repeated points ``name#2`` and waits where told."""

    def __init__(self, channel: Channel, stop: frozenset[str] | str) -> None:
        self._channel = channel
        self._stop = stop
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()  # an op may hit points from several threads

    def reached(self, name: str) -> None:
        with self._lock:
            n = self._counts.get(name, 0) + 1
            self._counts[name] = n
            point = name if n == 1 else f"{name}#{n}"
            waits = self._stop == EVERY_POINT or point in self._stop
            self._channel.send(("point", point, waits, time.monotonic_ns()))
            if waits:
                _wait_go(self._channel)


def _wait_go(channel: Channel) -> None:
    try:
        channel.recv()
    except (EOFError, OSError):
        os._exit(3)  # the parent went away: nothing left to report to


def _portable(value: Any) -> Any:
    try:
        pickle.dumps(value)
    except Exception:
        return repr(value)
    return value


def prepare_after_fork() -> None:
    """Default signal dispositions, and die with the process that forked us."""
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(4)


def main(channel: Channel, job: Job) -> NoReturn:
    code = 0
    try:
        pidfd = os.pidfd_open(os.getpid())
        channel.send_with_fd(("hello", os.getpid()), pidfd)
        os.close(pidfd)
        # Names this child's PostgreSQL sessions, so the parent can see them end after a
        # kill or a cut (harness.crash.landing) with nothing asked of the code under test.
        os.environ["PGAPPNAME"] = landing.app_name(job.process, os.getpid())
        if job.wait_start:
            _wait_go(channel)
        child._bind(channel, job.process, job.fail_on)
        if job.stop is not None:
            crashpoints.arm(_Controller(channel, job.stop))
        rec = child.Recording(job.record_as, None) if job.record_as else None
        try:
            value = job.target()
        except BaseException as exc:
            definite = child.is_definite_failure(exc)
            error = child.describe(exc)
            if rec is not None:
                (rec.fail if definite else rec.info)(error)
            status = "fail" if definite else "info"
            channel.send(("done", status, None, error, child.traceback_text(exc)))
        else:
            value = _portable(value)
            if rec is not None:
                rec.ok(value)
            channel.send(("done", "ok", value, None, None))
    except BaseException:
        code = 1
    finally:
        os._exit(code)

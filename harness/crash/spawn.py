"""Starting harness children fast: a fork server (default) or a plain fork of the caller.

``zygote``: a clean interpreter started once forks each child; the op is sent
pickled with cloudpickle, so closures and lambdas work, but what they capture
must pickle (a DSN, not an open connection). Safe when the parent has threads
(an in-process proxy, pytest-xdist).

``fork``: ``os.fork()`` of the calling process; anything goes, but a parent
with threads risks a child deadlocked on a lock another thread held.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Protocol

import cloudpickle

from harness import procs
from harness.crash import _child
from harness.crash._wire import Channel
from harness.errors import ConfigError, ServerError, UnknownName

GO = ("go",)
_START_TIMEOUT_S = 30.0


class Child:
    """A running child as the parent sees it: its channel and a pidfd to kill it by."""

    def __init__(self, name: str, channel: Channel, start_timeout_s: float) -> None:
        self.name = name
        self.channel = channel
        self.backend_pids: list[int] = []
        try:
            hello = channel.recv(start_timeout_s, with_fds=True)
        except EOFError:
            channel.close()
            raise ServerError(
                f"child {name!r} died before it started (fork server gone?)"
            ) from None
        if hello is None:
            channel.close()
            raise ServerError(f"child {name!r} did not start within {start_timeout_s}s")
        if hello[0] == "error":
            channel.close()
            raise ConfigError(
                f"child {name!r} could not load its op ({hello[1]}); define it in an "
                "importable module or capture only picklable values (a DSN, not a connection)"
            )
        self.pid: int = hello[1]
        # The child sent a pidfd of itself: signals go to it and nothing else, even
        # once it is dead and its pid reused.
        self.pidfd = channel.fds.pop(0)
        self.reap: Callable[[], None] | None = None
        _live.add(self)

    def go(self) -> None:
        self.channel.send(GO)

    def alive(self) -> bool:
        ready, _, _ = select.select([self.pidfd], [], [], 0)
        return not ready

    def wait_exit(self, timeout_s: float) -> bool:
        ready, _, _ = select.select([self.pidfd], [], [], timeout_s)
        return bool(ready)

    def kill(self) -> None:
        """SIGKILL, and return once the process is gone (its sockets are closed)."""
        with contextlib.suppress(ProcessLookupError, OSError):
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        self.wait_exit(10.0)

    def close(self) -> None:
        if self.pidfd < 0:
            return
        if self.alive():
            self.kill()
        else:
            self.wait_exit(10.0)
        if self.reap is not None:
            self.reap()
        self.channel.close()
        os.close(self.pidfd)
        self.pidfd = -1
        _live.discard(self)


_live: set[Child] = set()


def close_all_children() -> None:
    """Kill every child still running in this process (end of session, atexit)."""
    for child in list(_live):
        child.close()


class Spawner(Protocol):
    def spawn(self, job: _child.Job, start_timeout_s: float = _START_TIMEOUT_S) -> Child: ...

    def close(self) -> None: ...


class ZygoteSpawner:
    """Children forked by a fork server started once (lazily, on first use)."""

    name = "zygote"

    def __init__(self, preload: tuple[str, ...] = ()) -> None:
        self._preload = preload
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: Channel | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _ensure(self) -> Channel:
        if self._proc is not None and self._proc.poll() is None and self._control is not None:
            return self._control
        self.close()
        ours, theirs = socket.socketpair()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "harness.crash._zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        # It leads its own process group, so a stop (or the next run's reaper, after a
        # SIGKILLed session) takes every child it forked along with it.
        procs.track(self._proc, "crash-fork-server", stop_signal=signal.SIGKILL)
        self._control = Channel(ours)
        self._control.send(("init", list(sys.path), list(self._preload)))
        return self._control

    def spawn(self, job: _child.Job, start_timeout_s: float = _START_TIMEOUT_S) -> Child:
        try:
            payload = cloudpickle.dumps(job)
        except Exception as exc:
            raise ConfigError(
                f"op for child {job.process!r} cannot be sent to a child ({type(exc).__name__}: "
                f"{exc}); capture only picklable values (a DSN, not a connection)"
            ) from None
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                context = {"path": list(sys.path), "env": dict(os.environ), "cwd": os.getcwd()}
                self._ensure().send_with_fd(("spawn", payload, context), theirs.fileno())
        except OSError as exc:
            ours.close()
            raise ServerError(
                f"the fork server is gone ({exc}); it is restarted on next use"
            ) from None
        finally:
            theirs.close()
        return Child(job.process, Channel(ours), start_timeout_s)

    def close(self) -> None:
        if self._control is not None:
            self._control.close()  # EOF: the server exits, its children die with it
            self._control = None
        if self._proc is not None:
            try:
                self._proc.wait(5.0)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            procs.untrack(self._proc.pid)
            self._proc = None


class ForkSpawner:
    """Children forked from the calling process itself."""

    name = "fork"

    def spawn(self, job: _child.Job, start_timeout_s: float = _START_TIMEOUT_S) -> Child:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which leaves by os._exit
            try:
                ours.close()
                _child.prepare_after_fork()
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                _child.main(Channel(theirs), job)
            finally:
                os._exit(5)
        theirs.close()
        procs.track(pid, "crash-child", stop_signal=signal.SIGKILL)
        try:
            child = Child(job.process, Channel(ours), start_timeout_s)
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            _reap(pid)
            raise
        child.reap = lambda: _reap(pid)
        return child

    def close(self) -> None:
        pass


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    procs.untrack(pid)


SPAWNERS: dict[str, Callable[[], Spawner]] = {"zygote": ZygoteSpawner, "fork": ForkSpawner}

_default: Spawner | None = None


def make_spawner(method: str) -> Spawner:
    if method not in SPAWNERS:
        raise UnknownName("spawn method", method, list(SPAWNERS))
    return SPAWNERS[method]()


def default_spawner() -> Spawner:
    """The process-wide spawner (``HARNESS_SPAWN``: zygote or fork; default zygote)."""
    global _default
    if _default is None:
        _default = make_spawner(os.environ.get("HARNESS_SPAWN", "zygote"))
    return _default


def set_default_spawner(spawner: Spawner) -> None:
    """Make ``spawner`` the one every runner uses when given none (the session fixture does)."""
    global _default
    if _default is not None and _default is not spawner:
        _default.close()
    _default = spawner


def shutdown() -> None:
    """Kill every child, stop the fork server (session end; also atexit)."""
    global _default
    close_all_children()
    if _default is not None:
        _default.close()
        _default = None


atexit.register(shutdown)

"""What the local PostgreSQL and Redis servers share: a process on a free loopback port.

Start: choose a port (or take the configured one), spawn the server in its own
session (so pytest's Ctrl-C does not reach it), track it for hygiene, wait
until it answers. A chosen port lost to another process between choice and
bind is retried on another port; a configured port that is busy is one error.
Stop: the server's graceful signal, SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from abc import abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import procs
from harness.backends.base import Server
from harness.backends.ports import LOOPBACK, free_port, is_free
from harness.errors import ServerError
from harness.procs.parentdeath import die_with_parent

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
PORT_ATTEMPTS = 5
_KEPT: list[subprocess.Popen[bytes]] = []


class ProcessServer(Server):
    """A server process the harness owns, in a work directory it owns."""

    owned = True
    stop_signal: int = signal.SIGTERM
    port_setting: str = "port"  # named in the busy-port error

    def __init__(
        self,
        workdir: Path | None = None,
        port: int | None = None,
        choose_port: Callable[[], int] = free_port,
        outlive_owner: bool = False,
    ) -> None:
        self.host = LOOPBACK
        self._fixed_port = port
        self.port = port or 0
        self._choose_port = choose_port
        # A server that may be kept (HARNESS_KEEP_SERVERS) must not die with its owner:
        # PR_SET_PDEATHSIG cannot be cleared from outside once the child runs.
        self.outlive_owner = outlive_owner
        self._own_workdir = workdir is None
        self.workdir = workdir if workdir is not None else procs.temp_dir(f"{self.kind}-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._record: procs.ProcRecord | None = None
        self._prepared = False
        self.generation = 0

    # -- what a kind provides ------------------------------------------------
    @abstractmethod
    def _prepare(self) -> None:
        """Create the data directory (once per server)."""

    @abstractmethod
    def _command(self) -> list[str]: ...

    @abstractmethod
    def _ready(self) -> bool:
        """True once the server accepts connections (called while the process runs)."""

    def _popen_kwargs(self) -> dict[str, Any]:
        return {}

    def _record_segments(self, pid: int) -> None:
        """Track the System V shared memory the server made (``procs.track_segment``)."""

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.kind}.log"

    # -- life cycle -----------------------------------------------------------
    def start(self) -> None:
        if self.is_running():
            return
        if not self._prepared:
            self._prepare()
            self._prepared = True
        if self._fixed_port is not None:
            self.port = self._fixed_port
            self._spawn_and_wait(fixed=True)
            return
        for attempt in range(PORT_ATTEMPTS):
            if self.port == 0 or attempt > 0:
                self.port = self._choose_port()
            if self._spawn_and_wait(fixed=False):
                return
        raise ServerError(
            f"{self.kind}: lost the race for a free port {PORT_ATTEMPTS} times; see {self.log_path}"
        )

    def restart(self) -> None:
        """Start again after a kill or stop: the same port (kept fixed), the same data."""
        if not self._prepared:
            self.start()  # never started: nothing to come back to
            return
        if self.is_running():
            self.stop()
        self._spawn_and_wait(fixed=True)

    def _spawn_and_wait(self, fixed: bool) -> bool:
        """Start on ``self.port``; False if the port was taken (and not ``fixed``)."""
        if fixed and not is_free(self.port, self.host):
            raise self._busy()
        with open(self.log_path, "ab") as log:
            log_offset = log.tell()
            proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.workdir,
                preexec_fn=None if self.outlive_owner else die_with_parent(os.getpid()),
                **self._popen_kwargs(),
            )
        self._record = procs.track(proc, self.kind, stop_signal=self.stop_signal)
        self._proc = proc
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self._forget()
                lines = self._log_lines(log_offset)
                if any("address already in use" in ln.lower() for ln in lines):
                    if fixed:
                        raise self._busy()
                    return False
                raise ServerError(
                    f"{self.kind} exited at start (code {proc.returncode}): "
                    f"{_worst(lines) or 'no output'} (log: {self.log_path})"
                )
            if self._ready():
                self.generation += 1
                self._record_segments(proc.pid)
                return True
            time.sleep(0.003)
        self.kill()
        raise ServerError(
            f"{self.kind} did not answer within {START_TIMEOUT_S:.0f} s; see {self.log_path}"
        )

    def _busy(self) -> ServerError:
        return ServerError(
            f"port {self.port} on {self.host} is busy: {self.kind} cannot start there; "
            f"free it or choose another {self.port_setting}"
        )

    def stop(self) -> None:
        self._end(graceful=True)

    def kill(self) -> None:
        """SIGKILL the server and everything in its process group: a crash."""
        self._end(graceful=False)

    def _end(self, graceful: bool) -> None:
        proc = self._proc
        if proc is None:
            return
        if self._record is not None:
            procs.stop([self._record], STOP_TIMEOUT_S, graceful=graceful)
        if proc.poll() is None:  # not recorded (it died at once) or outlived the stop
            proc.kill()
        proc.wait()
        procs.release_segments(proc.pid)  # a killed server leaves its segment behind
        self._forget()

    def _forget(self) -> None:
        if self._proc is not None:
            procs.untrack(self._proc.pid)
            self._proc = None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def close(self) -> None:
        self.stop()
        if self._own_workdir:
            procs.remove_path(self.workdir)

    def keep(self, connect: str, run: str = "") -> procs.KeptRecord | None:
        """Leave it running past this run (``harness.procs.keep``); ``close`` then does nothing.

        None if it is not running. ``connect`` (a command line) goes into the kept record.
        """
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return None
        paths: list[str | os.PathLike[str]] = [self.workdir] if self._own_workdir else []
        record = procs.keep(
            proc.pid, paths, connect=connect, address=f"{self.host}:{self.port}", run=run
        )
        if record is not None:
            # Held until exit: a Popen collected while its process runs warns (ResourceWarning).
            _KEPT.append(proc)
            self._proc, self._record, self._own_workdir = None, None, False
        return record

    def _log_lines(self, offset: int) -> list[str]:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
        except OSError:
            return []
        return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _worst(lines: list[str]) -> str:
    """The line most likely to say why a server died (its last FATAL/ERROR, else its last)."""
    errors = [ln for ln in lines if "FATAL" in ln or "ERROR" in ln or "# " in ln]
    return (errors or lines or [""])[-1][:300]

"""The recorder registry: one recorder per module, each registering itself.

A process recorder runs a command under a tracer and returns the system calls the
command's process tree made (``Syscall``), in the order the kernel ran them. Which
one is used: ``HARNESS_DISK_RECORDER`` (or the ``recorder=`` argument) if set, else
the first usable one in order of preference (``strace``, then ``ptrace``).

    @register("strace", preference=10)
    class Strace(ProcessRecorder): ...
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from harness import procs
from harness.disk.syscalls import Syscall
from harness.errors import BackendUnavailable, ConfigError, UnknownName
from harness.procs.parentdeath import die_with_parent

ENV_RECORDER = "HARNESS_DISK_RECORDER"


class RecorderUnavailable(BackendUnavailable):
    """No recorder can run here (or the one asked for cannot)."""


@dataclass
class Traced:
    """What a traced command did and how it ended."""

    calls: list[Syscall]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False  # SIGKILLed at the time limit: not an end of its own


class ProcessRecorder:
    """Base of every syscall recorder."""

    name: ClassVar[str] = ""
    preference: ClassVar[int] = 0
    #: one line: how it records, for ``harness doctor``
    how: ClassVar[str] = ""

    def problem(self) -> str | None:
        """None when this recorder can run here, else why not (one line)."""
        raise NotImplementedError

    def trace(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        pass_fds: Sequence[int],
        timeout_s: float,
        workdir: Path,
    ) -> Traced:
        """Run ``argv`` to its end under the tracer; ``workdir`` is scratch space."""
        raise NotImplementedError


def ptrace_disabled() -> str | None:
    """Why no process may trace its children here, if so (Yama's ptrace_scope 3)."""
    try:
        scope = Path("/proc/sys/kernel/yama/ptrace_scope").read_text().strip()
    except OSError:
        return None
    return "ptrace is disabled here (kernel.yama.ptrace_scope=3)" if scope == "3" else None


_REGISTRY: dict[str, type[ProcessRecorder]] = {}


def register(
    name: str, *, preference: int
) -> Callable[[type[ProcessRecorder]], type[ProcessRecorder]]:
    def decorate(cls: type[ProcessRecorder]) -> type[ProcessRecorder]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ConfigError(f"disk recorder {name!r} is registered twice; pick another name")
        cls.name, cls.preference = name, preference
        _REGISTRY[name] = cls
        return cls

    return decorate


def recorder_names() -> list[str]:
    """Registered recorders, most preferred first."""
    return sorted(_REGISTRY, key=lambda n: -_REGISTRY[n].preference)


def get_recorder(name: str) -> ProcessRecorder:
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise UnknownName("disk recorder", name, list(_REGISTRY)) from None


@dataclass(frozen=True)
class Choice:
    recorder: ProcessRecorder
    why: str


def choose(name: str | None = None) -> Choice:
    """The recorder to use and why; one-line RecorderUnavailable when none can run."""
    asked = name or os.environ.get(ENV_RECORDER) or None
    if asked:
        recorder = get_recorder(asked)
        problem = recorder.problem()
        source = "recorder=" if name else ENV_RECORDER
        if problem is not None:
            raise RecorderUnavailable(f"disk recorder {asked!r} ({source}) cannot run: {problem}")
        return Choice(recorder, f"asked for by {source}")
    problems: list[str] = []
    for each in recorder_names():
        recorder = get_recorder(each)
        problem = recorder.problem()
        if problem is None:
            skipped = f" ({'; '.join(problems)})" if problems else ""
            return Choice(recorder, f"the most preferred one that can run here{skipped}")
        problems.append(f"{each}: {problem}")
    raise RecorderUnavailable(
        "no disk recorder can run here: "
        + "; ".join(problems)
        + f"; install strace or pip install python-ptrace (or set {ENV_RECORDER})"
    )


@dataclass
class TracerRun:
    """A tracer process run to its end: its exit code, output and whether it timed out."""

    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool


def run_tracer_process(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    pass_fds: Sequence[int],
    timeout_s: float,
    label: str,
    cwd: Path | None = None,
    stdout: bool = True,
) -> TracerRun:
    """Run a tracer in its own session, tracked (a killed harness's tracer is reaped by the
    next run); past ``timeout_s`` its whole group is SIGKILLed."""
    proc = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        pass_fds=tuple(pass_fds),
        stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # A harness killed mid-recording (a mutation run's timeout SIGKILLs its worker)
        # must not leave the tracer, and through it the tracee, running unreaped.
        preexec_fn=die_with_parent(os.getpid()),
    )
    procs.track(proc, label)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        out, err = proc.communicate()
        timed_out = True
    finally:
        procs.untrack(proc.pid)
    return TracerRun(proc.returncode, out or b"", err or b"", timed_out)


def kill_group(pid: int) -> None:
    """SIGKILL a process group a recorder started (its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)

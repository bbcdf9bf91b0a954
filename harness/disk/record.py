"""Record what a real process does to the files under a root.

    rec = record_call(functools.partial(write_queue, root), root)      # a Python callable
    rec = record_command(["./writer", "q"], root)                     # any program
    rec.trace                                                         # -> explore(...)

The command runs as a fresh process under the chosen recorder (``strace`` or the
``ptrace`` fallback; see ``recorders``), with its working directory at ``root``.
A fresh process rather than a fork of the crash runner's warm zygote: a tracer must
follow the process from its first call, and one recording serves every crash state
built from it, so the interpreter's start-up is paid once per case, not per state.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle

from harness import procs
from harness.disk.builder import TraceBuilder, snapshot
from harness.disk.child import ENV_ACK_FD, ENV_KILL_AT
from harness.disk.ops import Trace
from harness.disk.recorders import choose
from harness.disk.syscalls import SyscallInterpreter
from harness.errors import ConfigError, HarnessError


class RecordingFailed(HarnessError):
    """The recorded process failed; the message ends with its last line of stderr."""


@dataclass
class Recording:
    trace: Trace
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    recorder: str
    why: str

    @property
    def killed(self) -> bool:
        return self.returncode == -9 or self.returncode == 128 + 9


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no stderr)"


def record_command(
    argv: Sequence[str],
    root: str | os.PathLike[str],
    *,
    recorder: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
    expect_kill: bool = False,
) -> Recording:
    """Run ``argv`` in ``root`` under a recorder; its file operations under ``root`` and
    its acknowledgements (lines written to ``$HARNESS_DISK_ACK_FD``) become the trace.

    A non-zero exit raises ``RecordingFailed`` (with its stderr), unless ``expect_kill``
    and it was SIGKILLed (a kill at a crash point); so does a process still running after
    ``timeout_s`` (SIGKILLed then: "did not finish within N s"), whatever ``expect_kill``."""
    if isinstance(argv, str) or not argv:
        raise ConfigError(f"argv must be a non-empty list of strings, got {argv!r}")
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise ConfigError(
            f"root {root} is not a directory; create it (and its initial files) first"
        )
    choice = choose(recorder)
    work = procs.temp_dir("disk-rec-")
    try:
        ack_path = work / "acks"
        ack_fd = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            base = snapshot(root_path)
            child_env = {**os.environ, **(env or {}), ENV_ACK_FD: str(ack_fd)}
            t0 = time.perf_counter()
            traced = choice.recorder.trace(
                list(argv),
                cwd=root_path,
                env=child_env,
                pass_fds=(ack_fd,),
                timeout_s=timeout_s,
                workdir=work,
            )
            elapsed = time.perf_counter() - t0
        finally:
            os.close(ack_fd)
    finally:
        procs.remove_path(work)
    if traced.timed_out:
        # Checked first: the time limit's SIGKILL is not a kill at a crash point (expect_kill),
        # and a hang must end as an error that says so, not as a trace cut short.
        raise RecordingFailed(
            f"recorded process {argv[0]!r} did not finish within {timeout_s:g} s under "
            f"{choice.recorder.name} (timed out: SIGKILLed, no trace kept)"
        )
    killed = traced.returncode in (-9, 128 + 9)
    if traced.returncode != 0 and not (expect_kill and killed):
        raise RecordingFailed(
            f"recorded process {argv[0]!r} exited with {traced.returncode} under "
            f"{choice.recorder.name}: {_last_line(traced.stderr)}"
        )
    builder = TraceBuilder(base)
    interpreter = SyscallInterpreter(builder, str(root_path), cwd=str(root_path), ack_fd=ack_fd)
    for call in traced.calls:
        interpreter.feed(call)
    base.recorder = choice.recorder.name
    return Recording(
        base,
        traced.returncode,
        traced.stdout,
        traced.stderr,
        elapsed,
        choice.recorder.name,
        choice.why,
    )


def record_call(
    fn: Callable[[], Any],
    root: str | os.PathLike[str],
    *,
    recorder: str | None = None,
    kill_at: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
) -> Recording:
    """Record ``fn()`` run in a fresh Python process (pickled with cloudpickle: close
    over paths and settings, not open files). Crash points it passes are ``point``
    marks; ``kill_at`` SIGKILLs it at that point (``name`` or ``name#2``)."""
    if not callable(fn):
        raise ConfigError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")
    work = procs.temp_dir("disk-fn-")
    try:
        pickled = work / "fn.pickle"
        try:
            pickled.write_bytes(cloudpickle.dumps(fn))
        except Exception as exc:
            raise ConfigError(
                f"cannot pickle the recorded callable ({exc}); close over picklable values "
                "(paths, settings), not open files or connections"
            ) from None
        extra = dict(env or {})
        if kill_at is not None:
            extra[ENV_KILL_AT] = kill_at
        extra["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        return record_command(
            [sys.executable, "-m", "harness.disk.run_child", str(pickled)],
            root,
            recorder=recorder,
            env=extra,
            timeout_s=timeout_s,
            expect_kill=kill_at is not None,
        )
    finally:
        procs.remove_path(work)

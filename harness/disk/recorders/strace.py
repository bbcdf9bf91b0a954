"""``strace``: the system's tracer, preferred where it is installed.

It follows every child (``-f``), prints every string whole and in hex (``-xx``,
``-s``) and writes to a file, which is parsed once the command has ended.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.disk.recorders.base import (
    ProcessRecorder,
    Traced,
    ptrace_disabled,
    register,
    run_tracer_process,
)
from harness.disk.recorders.strace_output import parse
from harness.disk.syscalls import TRACED_CALLS

STRING_LIMIT = 1 << 24  # bytes of a write strace prints; larger ones fail loudly


@register("strace", preference=20)
class Strace(ProcessRecorder):
    how = "the strace binary (-f, every string in hex), parsed after the run"

    def binary(self) -> str | None:
        return shutil.which("strace")

    def problem(self) -> str | None:
        if self.binary() is None:
            return "no strace on PATH"
        return ptrace_disabled()

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
        out = workdir / "strace.out"
        command = [
            str(self.binary()),
            *(["--seccomp-bpf"] if _seccomp(str(self.binary())) else []),
            "-f",
            "-qq",
            "-xx",
            "-s",
            str(STRING_LIMIT),
            "-e",
            "trace=" + TRACED_CALLS,
            "-e",
            "signal=none",
            "-o",
            str(out),
            "--",
            *argv,
        ]
        run = run_tracer_process(
            command, env=env, pass_fds=pass_fds, timeout_s=timeout_s, label="disk-strace", cwd=cwd
        )
        stderr = run.stderr + (
            f"\ntimed out after {timeout_s} s".encode() if run.timed_out else b""
        )
        text = out.read_text(errors="surrogateescape") if out.exists() else ""
        return Traced(
            parse(text),
            run.returncode,
            run.stdout.decode(errors="replace"),
            stderr.decode(errors="replace"),
            run.timed_out,
        )


@functools.cache
def _seccomp(binary: str) -> bool:
    """strace 5.3+ can stop the tracee only on the traced calls (several times faster)."""
    try:
        out = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    match = re.search(r"version (\d+)\.(\d+)", out)
    return match is not None and (int(match.group(1)), int(match.group(2))) >= (5, 3)

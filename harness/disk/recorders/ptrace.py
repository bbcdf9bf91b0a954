"""``ptrace``: a pure-Python tracer (the python-ptrace package), for pip-only machines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.disk.recorders.base import ProcessRecorder, Traced, register


@register("ptrace", preference=10)
class Ptrace(ProcessRecorder):
    how = "python-ptrace (pure Python, from pip), following forks"

    def problem(self) -> str | None:
        return "not built yet"

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
        raise NotImplementedError

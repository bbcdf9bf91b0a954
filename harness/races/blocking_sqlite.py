"""SQLite: a worker waiting on the busy lock sleeps in its busy handler; the kernel shows it.

SQLite's busy handler (Python's ``timeout=``) retries with short sleeps (up to
100 ms apart); the worker then sits in a (clock_)nanosleep system call, which
``/proc/<pid>/syscall`` reports. After another worker's step released the lock,
a sleeper notices only at its next retry, so ``confirm_blocked`` waits until the
worker has gone back to sleep once more (its voluntary context switches grew)
or has left the sleep.

Limits: a worker that sleeps on purpose during a step looks blocked (ops under
a schedule must not sleep); give workers a busy timeout longer than a schedule
can hold a lock (``sqlite3.connect(path, timeout=60)``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from harness.errors import BackendUnavailable
from harness.races.blocking import WorkerView, register_detector

_SLEEP_SYSCALLS = {"x86_64": {"35", "230"}, "aarch64": {"101", "115"}}
_CONFIRM_LIMIT_S = 1.0  # well past SQLite's longest busy sleep (100 ms)


@register_detector("sqlite")
class SqliteBusy:
    """Blocked = the worker's main thread is asleep in the kernel (SQLite's busy wait)."""

    def __init__(self) -> None:
        machine = os.uname().machine
        if machine not in _SLEEP_SYSCALLS:
            raise BackendUnavailable(
                f"SQLite busy detection knows x86_64 and aarch64 syscalls, not {machine}"
            )
        self._sleeps = _SLEEP_SYSCALLS[machine]

    def _sleeping(self, pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/syscall") as fh:
                fields = fh.read().split()
        except OSError:
            return False
        return bool(fields) and fields[0] in self._sleeps

    @staticmethod
    def _switches(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("voluntary_ctxt_switches:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return -1

    def is_blocked(self, worker: WorkerView, workers: Sequence[WorkerView]) -> bool:
        return self._sleeping(worker.pid)

    def confirm_blocked(self, worker: WorkerView, workers: Sequence[WorkerView]) -> bool:
        before = self._switches(worker.pid)
        deadline = time.monotonic() + _CONFIRM_LIMIT_S
        while time.monotonic() < deadline:
            # Count first, then look: a sleep seen now after the count grew began after
            # ``before`` (the sleep under way then had to end first), so it follows a
            # retry that failed after the release. The other order could pair an old
            # sleep with the count of a later I/O wait of a worker that got the lock.
            switched = self._switches(worker.pid) > before
            if not self._sleeping(worker.pid):
                return False  # awake: it got the lock (or is retrying); the caller waits
            if switched:
                return True
            time.sleep(0.001)
        return True

    def close(self) -> None:
        pass

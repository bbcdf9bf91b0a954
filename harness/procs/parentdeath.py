"""Children that die with their parent: a second line behind the run records.

``preexec_fn=die_with_parent(os.getpid())`` asks Linux (``PR_SET_PDEATHSIG``) to
SIGKILL the child when the thread that started it ends, including by SIGKILL
or ``os._exit`` (as pytest-xdist workers end when their controller is killed),
so a server does not even wait for the next run's reaping. The signal follows
the starting *thread*, so it is only armed from the main thread (a worker
thread's end would kill a server still in use); elsewhere it is a no-op.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` (None where the OS has no such thing)."""
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        # Runs in the child after any user switch (a uid change would clear the setting).
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def die_with_parent_now() -> None:
    """The same for the calling process itself, from now on (an xdist worker, which
    pytest-xdist starts without a ``preexec_fn``): it dies when its parent does."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

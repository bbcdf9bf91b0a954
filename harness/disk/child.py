"""The recorded side: what runs inside a traced process.

``ack(label)`` tells the recorder "the caller was told this succeeded": one line
written to the descriptor named by ``HARNESS_DISK_ACK_FD`` (any program can do the
same: ``echo "ack 7" >&$HARNESS_DISK_ACK_FD``). The tracer sees that write in order
with the file operations; nothing in the process is patched.

``python -m harness.disk.child FILE`` runs a pickled callable (see ``record_call``):
it arms the crash-point marker so every point passed is a ``point`` mark in the
trace, and with ``HARNESS_DISK_KILL_AT=<point>`` SIGKILLs itself there.
"""

from __future__ import annotations

import os
import signal
import sys

from harness import crashpoints

ENV_ACK_FD = "HARNESS_DISK_ACK_FD"
ENV_KILL_AT = "HARNESS_DISK_KILL_AT"


def _emit(kind: str, label: str) -> None:
    fd = os.environ.get(ENV_ACK_FD)
    if fd is None:
        return  # not recorded: acknowledgements go nowhere
    if "\n" in label:
        raise ValueError(f"an acknowledgement label is one line, got {label!r}")
    os.write(int(fd), f"{kind} {label}\n".encode())


def ack(label: str) -> None:
    """Record that ``label`` was acknowledged to the caller (an entry accepted, a commit)."""
    _emit("ack", str(label))


class _Marker:
    """Crash-point controller for a recorded child: mark each point; die at one."""

    def __init__(self, kill_at: str | None) -> None:
        self.kill_at = kill_at
        self.seen: dict[str, int] = {}

    def reached(self, name: str) -> None:
        count = self.seen.get(name, 0) + 1
        self.seen[name] = count
        label = name if count == 1 else f"{name}#{count}"
        _emit("point", label)
        if label == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    import cloudpickle

    with open(argv[0], "rb") as f:
        fn = cloudpickle.load(f)
    crashpoints.arm(_Marker(os.environ.get(ENV_KILL_AT) or None))
    fn()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

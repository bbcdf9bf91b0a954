"""An address whose TCP connect never completes: a listener that never accepts, queue full.

The proxy accepts every connection itself, so behind it only a *reply* can be
withheld. A connect that hangs needs the kernel to drop the SYN: Linux does so
for a listening socket whose accept queue is full (``listen(0)`` holds one
completed connection; the next SYN is dropped and the client retransmits until
its own timeout). This is the loopback form of a black-holed address, with no
route or firewall rule to change and nothing shared with other processes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from harness.errors import HarnessError

#: How long the self-check waits for a connect it expects to hang.
_PROBE_S = 0.2


@contextmanager
def unanswered_connect(host: str = "127.0.0.1") -> Iterator[tuple[str, int]]:
    """``(host, port)`` where a connect hangs until the client gives up; gone on exit.

    Checked before it is handed out: a probe connect must time out, so a kernel
    that accepts beyond a full backlog is an error here, not a passing scenario.
    """
    with ExitStack() as stack:
        listener = stack.enter_context(socket.create_server((host, 0), backlog=0))
        port = listener.getsockname()[1]
        # The one connection the queue holds: completed by the kernel, never accepted.
        stack.enter_context(socket.create_connection((host, port), timeout=5.0))
        probe = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        probe.settimeout(_PROBE_S)
        try:
            probe.connect((host, port))
        except TimeoutError:
            pass
        else:
            raise HarnessError(
                f"a connect to {host}:{port} completed past a full accept queue: "
                "this kernel cannot make a connect hang here"
            )
        probe.close()
        yield host, port

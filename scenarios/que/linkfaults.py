"""Link faults placed at a crash point: the link cut, or the reply lost after the
command (or EXEC) was sent and applied.

"Reply lost" is a downstream ``timeout`` toxic: Redis receives and runs the
command, its reply is dropped and the connection closed 50 ms later, so the
client sees a connection error (an ``info``: outcome unknown) without waiting
on a socket timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.history import History

KINDS = ("cut", "lost_reply")
LOST_REPLY_CLOSE_MS = 50


def action(link: Any, kind: str, history: History, point: str) -> Callable[[], None]:
    def fire() -> None:
        history.fault(kind, {"at": point})
        if kind == "cut":
            link.cut()
        else:
            link.add_toxic("timeout", stream="downstream", timeout=LOST_REPLY_CLOSE_MS)

    return fire


def heal(link: Any, history: History) -> None:
    history.fault("heal")
    link.clear()
    link.restore()

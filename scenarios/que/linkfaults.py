"""Link faults placed at a crash point: the link cut, or the reply lost after the
command (or EXEC) was sent and applied.

"Reply lost" is a downstream ``limit_data`` toxic of 0 bytes: the command goes
up and Redis runs it; the first byte of its reply closes the connection
instead of reaching the client, which sees a connection error (an ``info``:
outcome unknown). The reply itself triggers the close, so it always comes
after the command ran: no timer, no race, no socket timeout to wait for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.history import History

KINDS = ("cut", "lost_reply")


def lose_reply(link: Any) -> None:
    link.add_toxic("limit_data", stream="downstream", bytes=0)


def action(link: Any, kind: str, history: History, point: str) -> Callable[[], None]:
    def fire() -> None:
        history.fault(kind, {"at": point})
        if kind == "cut":
            link.cut()
        else:
            lose_reply(link)

    return fire


def heal(link: Any, history: History) -> None:
    history.fault("heal")
    link.clear()
    link.restore()

"""The reply lost after the command (or EXEC) was sent and applied, as a fault at a point.

"Reply lost" is a downstream ``limit_data`` toxic of 0 bytes: the command goes
up and Redis runs it; the first byte of its reply closes the connection
instead of reaching the client, which sees a connection error (an ``info``:
outcome unknown). The reply itself triggers the close, so it always comes
after the command ran: no timer, no race, no socket timeout to wait for.
"""

from __future__ import annotations

import functools
from typing import Any

from harness.crash import AtPoint


def lose_reply(link: Any) -> None:
    link.add_toxic("limit_data", stream="downstream", bytes=0)


def lost_reply(link: Any, name: str = "lost_reply") -> AtPoint:
    """From the point on, every reply on ``link`` is lost; the link is cleared after the op."""
    return AtPoint(name, functools.partial(lose_reply, link), undo=link.clear, link=link)

"""The faults the explorer places at a crash point, as values a scenario lists.

    faults = [Kill(), Cut(pg_link)]                # SIGKILL there; cut the link there
    faults = [AtPoint("reply_lost", swallow, restore=link.clear, link=pg_link)]
    faults = [InProcess("server_kill", redis_server.kill)]   # the caller walks into it

``name`` prefixes the case id (``crash@app.op.before_commit``). A fault with a
``link`` makes the op reach its server through that link (the op factory gets
the link and routes through it, e.g. with ``through(dsn, link)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg.conninfo import conninfo_to_dict, make_conninfo

Action = Callable[[], object]


@dataclass(frozen=True)
class Fault:
    """Base of the fault kinds: its case-id prefix and the link its op goes through."""

    name: str
    link: Any = None

    #: the op runs in this process (faults a caller's own client walks into)
    in_process = False

    def arm(self, point: str) -> dict[str, Any]:
        """``run_case`` arguments that place this fault at ``point``."""
        raise NotImplementedError

    def restore(self) -> None:
        """Undo the fault once the op has ended (heal the link); a kill needs nothing."""

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class Kill(Fault):
    """SIGKILL the op's process at the point (mid-transaction, no cleanup)."""

    name: str = "crash"

    def arm(self, point: str) -> dict[str, Any]:
        return {"kill_at": point}

    def describe(self) -> str:
        return "SIGKILL"


@dataclass(frozen=True)
class Cut(Fault):
    """Cut ``link`` while the op waits at the point, let it go on into the cut, heal after."""

    name: str = "cut"

    def __init__(self, link: Any, name: str = "cut") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "link", link)

    def arm(self, point: str) -> dict[str, Any]:
        return {"pause_at": {point: self.link.cut}}

    def restore(self) -> None:
        self.link.restore()

    def describe(self) -> str:
        return "link cut"


@dataclass(frozen=True)
class AtPoint(Fault):
    """Run ``action`` here while the op waits at the point; ``undo`` once the op has ended."""

    action: Action | None = None
    undo: Action | None = None

    def __init__(
        self, name: str, action: Action, *, undo: Action | None = None, link: Any = None
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "undo", undo)
        object.__setattr__(self, "link", link)

    def arm(self, point: str) -> dict[str, Any]:
        assert self.action is not None
        return {"pause_at": {point: self.action}}

    def restore(self) -> None:
        if self.undo is not None:
            self.undo()


@dataclass(frozen=True)
class InProcess(AtPoint):
    """``action`` runs in this process when the op, run here too, first reaches the point."""

    in_process = True


def through(address: str, link: Any) -> str:
    """``address`` (a PostgreSQL conninfo or a ``redis://`` URL) reached through ``link``;
    unchanged when ``link`` is None."""
    if link is None:
        return address
    if address.startswith(("redis://", "rediss://")):
        scheme, rest = address.split("://", 1)
        netloc, _, tail = rest.partition("/")
        auth = netloc.rpartition("@")[0]
        return f"{scheme}://{auth + '@' if auth else ''}{link.host}:{link.port}/{tail}"
    params = conninfo_to_dict(address)
    params.update(host=link.host, port=str(link.port))
    params.setdefault("connect_timeout", "3")
    return make_conninfo(**params)  # type: ignore[arg-type]

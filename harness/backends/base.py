"""The one interface every server backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from harness.errors import NotOwned


class Server(ABC):
    """A PostgreSQL or Redis server, started by the harness (``owned``) or given to it.

    ``kill`` is SIGKILL of the server (a crash); ``restart`` brings it back after a
    kill or a stop on the same port with the same data. A server the harness did
    not start is never stopped, killed or restarted: those raise ``NotOwned``.
    ``close`` releases the server at the end of its use: it stops an owned server
    and removes its files; for one not owned it only forgets it.
    """

    kind: ClassVar[str]  # "postgres" or "redis"
    host: str
    port: int
    version: str
    owned: bool
    #: how many times it has (re)started: a client that saw another number reconnects.
    generation: int = 0

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def kill(self) -> None: ...

    @abstractmethod
    def restart(self) -> None: ...

    @abstractmethod
    def is_running(self) -> bool: ...

    @abstractmethod
    def answers(self, timeout_s: float = 2.0) -> bool:
        """Whether it answers over the network now (is_running of servers not started here)."""

    @abstractmethod
    def query_version(self, timeout_s: float = 10.0) -> str:
        """The version the server itself reports."""

    def close(self) -> None:
        if self.owned:
            self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def _refuse(self, action: str) -> NotOwned:
        return NotOwned(
            f"refusing to {action} the {self.kind} server at {self.host}:{self.port}: "
            "the harness did not start it (external backend); use the local backend "
            "for scenarios that kill or restart servers"
        )

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        own = "owned" if self.owned else "external"
        return f"<{type(self).__name__} {self.kind} {self.version} {self.host}:{self.port} {own}>"

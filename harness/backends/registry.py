"""Backends by name: each is a small module that registers one ``Backend``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from harness.backends.postgres import PostgresServer
from harness.backends.redis import RedisServer
from harness.backends.settings import Settings
from harness.errors import BackendUnavailable, UnknownName
from harness.registry import Registry


class Backend(ABC):
    """Where servers come from. ``postgres``/``redis`` return servers not yet started."""

    name: str
    summary: str

    @abstractmethod
    def problem(self, settings: Settings) -> str | None:
        """Why this backend cannot serve here (None: it can). Quick: no server is started."""

    @abstractmethod
    def describe(self, settings: Settings) -> list[str]:
        """Lines for ``harness doctor``: what it would use and where that comes from."""

    @abstractmethod
    def postgres(self, settings: Settings, workdir: Path | None = None) -> PostgresServer: ...

    @abstractmethod
    def redis(self, settings: Settings, workdir: Path | None = None) -> RedisServer: ...

    def require(self, settings: Settings) -> None:
        problem = self.problem(settings)
        if problem is not None:
            raise BackendUnavailable(f"backend {self.name!r} cannot serve: {problem}")


#: Third parties add backends through entry points of ``fault_harness.backends``.
_BACKENDS: Registry[Backend] = Registry("backend", group="fault_harness.backends")


def register(backend: Backend) -> Backend:
    return _BACKENDS.add(backend.name, backend)


def names() -> list[str]:
    return _BACKENDS.names()


def all_backends() -> Iterator[Backend]:
    return iter(_BACKENDS.get(n) for n in names())


def get(name: str) -> Backend:
    try:
        return _BACKENDS.get(name.strip().lower())
    except UnknownName:
        raise UnknownName("backend", name, names()) from None


def selected(settings: Settings) -> Backend:
    """The backend the settings name (``HARNESS_BACKEND``, default ``local``)."""
    return get(settings.backend)

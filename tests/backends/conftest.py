"""Servers of every registered backend, for the conformance tests.

``external`` is served by local servers this module starts itself (the harness
then treats them as not its own); ``testcontainers`` skips with one line where
no Docker engine answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.backends import Backend, PostgresServer, RedisServer, Settings, get, names, resolve

# Settings that say where binaries come from pass through (so that a run with
# HARNESS_NO_SYSTEM_BINARIES=1 proves the wheels); the rest each test sets itself.
BINARY_SETTINGS = (
    "HARNESS_NO_SYSTEM_BINARIES",
    "HARNESS_NO_WHEEL_BINARIES",
    "HARNESS_PG_BINDIR",
    "HARNESS_REDIS_SERVER",
    "HARNESS_PG_USER",
)


def settings(**explicit: str | None) -> Settings:
    return resolve(explicit, env={k: v for k, v in os.environ.items() if k in BINARY_SETTINGS})


@dataclass
class Flavour:
    backend: Backend
    settings: Settings


FLAVOURS = [*names(), "local-wheels"]
OWNED = [f for f in FLAVOURS if f != "external"]


@pytest.fixture(scope="module")
def local_pair() -> Iterator[tuple[PostgresServer, RedisServer]]:
    local = settings()
    pg, rd = get("local").postgres(local), get("local").redis(local)
    pg.start()
    rd.start()
    yield pg, rd
    pg.close()
    rd.close()


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return make_flavour(request, request.param)


@pytest.fixture(params=OWNED)
def owned_flavour(request: pytest.FixtureRequest) -> Flavour:
    return make_flavour(request, request.param)


@pytest.fixture
def external_flavour(request: pytest.FixtureRequest) -> Flavour:
    return make_flavour(request, "external")


def make_flavour(request: pytest.FixtureRequest, name: str) -> Flavour:
    explicit: dict[str, str | None] = {"backend": name}
    if name == "local-wheels":
        explicit = {"backend": "local", "no_system_binaries": "1"}
    elif name == "external":
        pg, rd = request.getfixturevalue("local_pair")
        explicit |= {"pg_dsn": pg.dsn(), "redis_url": rd.url()}
    chosen = settings(**explicit)
    backend = get(chosen.backend)
    problem = backend.problem(chosen)
    if problem is not None:
        pytest.skip(f"backend {name!r} cannot serve here: {problem}")
    return Flavour(backend, chosen)

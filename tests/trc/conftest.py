from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from reference_impl.trc import VARIANTS, Dlq, Variant
from scenarios.trc import trcdb


@pytest.fixture(params=list(VARIANTS))
def variant(request: pytest.FixtureRequest) -> Variant:
    return VARIANTS[request.param]


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261130)


@pytest.fixture
def connections() -> Iterator[list[psycopg.Connection]]:
    opened: list[psycopg.Connection] = []
    yield opened
    for conn in opened:
        conn.close()


@pytest.fixture
def trc_conn(
    pg_database_factory, connections: list[psycopg.Connection]
) -> Callable[[Variant], psycopg.Connection]:
    """``trc_conn(variant)``: an autocommit connection to a clean database at its schema."""

    def make(v: Variant) -> psycopg.Connection:
        conn = trcdb.connect(trcdb.fresh(pg_database_factory, v).dsn)
        connections.append(conn)
        return conn

    return make


@pytest.fixture
def dlq_dir(tmp_path: Path) -> Path:
    path = tmp_path / "dlq"
    path.mkdir()
    return path


@pytest.fixture
def make_dlq(dlq_dir: Path) -> Callable[..., Dlq]:
    def make(v: Variant, max_retries: int = 3) -> Dlq:
        return Dlq(dlq_dir, v, max_retries)

    return make

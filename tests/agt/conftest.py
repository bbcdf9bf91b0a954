from __future__ import annotations

from collections.abc import Iterator

import pytest

from scenarios.agt import agtdb


@pytest.fixture
def agt_dsn(pg_database_factory) -> str:
    """A clean database at the newest AGT schema."""
    return str(agtdb.fresh(pg_database_factory).dsn)


@pytest.fixture(autouse=True)
def _agt_connections() -> Iterator[None]:
    """The connections ``agtdb.connect`` kept during a test are closed at its end."""
    yield
    agtdb.release()

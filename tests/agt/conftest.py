from __future__ import annotations

import pytest

from scenarios.agt import agtdb


@pytest.fixture
def agt_dsn(pg_database_factory) -> str:
    """A clean database at the newest AGT schema."""
    return str(agtdb.fresh(pg_database_factory).dsn)

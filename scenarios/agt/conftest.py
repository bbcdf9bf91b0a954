"""Fixtures the AGT scenarios share."""

from __future__ import annotations

import pytest


@pytest.fixture
def pg_link():
    """The proxy link to the scenario PostgreSQL server (None until the proxy fixture lands)."""
    return None

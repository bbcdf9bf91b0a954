"""Fixtures the TRC scenarios share: a world per test, a proxy link to PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import procs
from reference_impl.trc import variant
from scenarios.trc.batches import make_batch
from scenarios.trc.world import World


@pytest.fixture
def pg_link(pg_server, proxied):
    """A proxy link to the scenario PostgreSQL server: cut it at a crash point."""
    return proxied(pg_server.host, pg_server.port)


@pytest.fixture
def trc_root() -> Iterator[Path]:
    # Tracked: a worker SIGKILLed mid-test (a mutation run's time limit, an interrupted
    # audit) leaves it in its run records, and the next run's reaper removes it.
    root = procs.temp_dir("trc-")
    try:
        yield root
    finally:
        procs.remove_path(root)


@pytest.fixture
def trc_world(pg_database_factory, trc_root: Path) -> Iterator[Callable[..., World]]:
    """``trc_world(ctx, tenants=("acme",), batches=1, **world_options)``: batches drawn
    from ``ctx.rng``, the world reset once."""

    made: list[World] = []

    def make(
        ctx: Any, *, tenants: tuple[str, ...] = ("acme",), batches: int = 1, **options: Any
    ) -> World:
        rng: random.Random = ctx.rng
        fed = [make_batch(rng, tenants[i % len(tenants)]) for i in range(batches)]
        world = World(pg_database_factory, variant(ctx.variant), trc_root, fed, **options)
        made.append(world)
        world.reset()
        return world

    yield make
    for world in made:
        world.close()

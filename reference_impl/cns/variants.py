"""Variants selected at run time by name."""

from __future__ import annotations

from pathlib import Path

from reference_impl.cns.agents import Listener
from reference_impl.cns.config import StoreConfig, check_variant
from reference_impl.cns.fixed import FixedStore
from reference_impl.cns.prefix import PrefixStore
from reference_impl.cns.seed import SeedStore
from reference_impl.cns.store import ConsensusStore

VARIANTS: dict[str, type[ConsensusStore]] = {
    cls.variant: cls for cls in (PrefixStore, SeedStore, FixedStore)
}


def make_store(
    variant: str,
    path: str | Path,
    config: StoreConfig | None = None,
    listener: Listener | None = None,
) -> ConsensusStore:
    """An unopened store of ``variant`` on ``path``: call ``open()`` or use ``with``."""
    return VARIANTS[check_variant(variant)](path, config, listener)


def open_store(
    variant: str,
    path: str | Path,
    config: StoreConfig | None = None,
    listener: Listener | None = None,
) -> ConsensusStore:
    return make_store(variant, path, config, listener).open()

"""CNS: the consensus store on SQLite (seed 002), in three variants.

``prefix`` as the seed found it, ``seed`` exactly as the seed plans to fix it
(measured), ``fixed`` the reference (FIXES.md CNS-1..CNS-8).
``open_store(variant, path, StoreConfig(vfs=...))``; a restart is a new store on
the same file.
"""

from reference_impl.cns.agents import AgentState
from reference_impl.cns.config import VARIANT_NAMES, StoreConfig
from reference_impl.cns.errors import (
    DatabaseFull,
    InvalidArgument,
    MigrationError,
    NotADatabase,
    PermanentError,
    PoolTimeout,
    ReadOnlyDatabase,
    RetriesExhausted,
    SchemaTooNew,
    StoreError,
)
from reference_impl.cns.records import AgentOutput, ConsensusRun, Synthesis
from reference_impl.cns.retry import Backoff, Retrier, RetryLog
from reference_impl.cns.store import ConsensusStore
from reference_impl.cns.vacuum import VacuumStats
from reference_impl.cns.validator import Mismatches
from reference_impl.cns.variants import VARIANTS, make_store, open_store

__all__ = [
    "VARIANTS",
    "VARIANT_NAMES",
    "AgentOutput",
    "AgentState",
    "Backoff",
    "ConsensusRun",
    "ConsensusStore",
    "DatabaseFull",
    "InvalidArgument",
    "MigrationError",
    "Mismatches",
    "NotADatabase",
    "PermanentError",
    "PoolTimeout",
    "ReadOnlyDatabase",
    "Retrier",
    "RetriesExhausted",
    "RetryLog",
    "SchemaTooNew",
    "StoreConfig",
    "StoreError",
    "Synthesis",
    "VacuumStats",
    "make_store",
    "open_store",
]

"""TRC: a trace ingestion pipeline on PostgreSQL with a file dead-letter queue (seed 001).

Three variants chosen at run time (``variant("prefix" | "seed" | "fixed")``, or
``TRC_VARIANT``): the pipeline before the seed's pull request, the pull request
as written, and the reference design. ``Worker`` stores or dead-letters
batches from a ``Source``; ``Dlq`` and ``replay`` hold and re-attempt the
failed ones; ``migrate`` owns the schema; ``read`` is the API by tenant.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reference_impl.trc.batch import Batch, Log, Span, Trace, validate
from reference_impl.trc.dlq import DEFAULT_MAX_RETRIES, Dlq, Entry
from reference_impl.trc.errors import (
    DlqError,
    InvalidBatch,
    MigrationError,
    TrcError,
    UnknownVariant,
    UnreadableDlqFile,
)
from reference_impl.trc.source import MemorySource, Source
from reference_impl.trc.variants import FIXED, PREFIX, SEED, VARIANTS, Variant, from_env, variant

if TYPE_CHECKING:
    from reference_impl.trc.read import TraceView, get_trace, list_traces, read_tenant
    from reference_impl.trc.replayer import ReplayReport, replay
    from reference_impl.trc.store import write_batch
    from reference_impl.trc.worker import Outcome, Worker

# The parts that talk to PostgreSQL load psycopg (most of a second on a busy machine)
# on first use, so a process that only writes DLQ files (a power-loss recording) does
# not pay for it.
_LAZY = {
    "TraceView": "read",
    "get_trace": "read",
    "list_traces": "read",
    "read_tenant": "read",
    "ReplayReport": "replayer",
    "replay": "replayer",
    "write_batch": "store",
    "Outcome": "worker",
    "Worker": "worker",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'reference_impl.trc' has no attribute {name!r}")
    return getattr(importlib.import_module(f"reference_impl.trc.{module}"), name)


__all__ = [
    "DEFAULT_MAX_RETRIES",
    "FIXED",
    "PREFIX",
    "SEED",
    "VARIANTS",
    "Batch",
    "Dlq",
    "DlqError",
    "Entry",
    "InvalidBatch",
    "Log",
    "MemorySource",
    "MigrationError",
    "Outcome",
    "ReplayReport",
    "Source",
    "Span",
    "Trace",
    "TraceView",
    "TrcError",
    "UnknownVariant",
    "UnreadableDlqFile",
    "Variant",
    "Worker",
    "from_env",
    "get_trace",
    "list_traces",
    "read_tenant",
    "replay",
    "validate",
    "variant",
    "write_batch",
]

"""TRC: a trace ingestion pipeline on PostgreSQL with a file dead-letter queue (seed 001).

Three variants chosen at run time (``variant("prefix" | "seed" | "fixed")``, or
``TRC_VARIANT``): the pipeline before the seed's pull request, the pull request
as written, and the reference design. ``Worker`` stores or dead-letters
batches from a ``Source``; ``Dlq`` and ``replay`` hold and re-attempt the
failed ones; ``migrate`` owns the schema; ``read`` is the API by tenant.
"""

from __future__ import annotations

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
from reference_impl.trc.read import TraceView, get_trace, list_traces, read_tenant
from reference_impl.trc.replay import ReplayReport, replay
from reference_impl.trc.source import MemorySource, Source
from reference_impl.trc.store import write_batch
from reference_impl.trc.variants import FIXED, PREFIX, SEED, VARIANTS, Variant, from_env, variant
from reference_impl.trc.worker import Outcome, Worker

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

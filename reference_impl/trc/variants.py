"""The three variants of the pipeline, selected at run time by name.

``prefix`` is the pipeline before the seed's pull request, ``seed`` is the pull
request as written (measured, not trusted), ``fixed`` is the reference design.
A variant is a set of switches read by the store, the DLQ and the replayer; one
name selects the whole pipeline, as ``TRC_VARIANT`` does for child processes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Literal

from reference_impl.trc.errors import UnknownVariant

ENV = "TRC_VARIANT"  # read by processes that are told their variant by the environment

Switch = Literal[
    "atomic_batch",
    "dlq_fsync_file",
    "dlq_atomic_rename",
    "set_aside_unreadable",
    "tenant_keys",
    "ordered_writes",
]


@dataclass(frozen=True)
class Variant:
    name: str
    #: TRC-1: traces, spans and logs in one transaction; a trace error aborts the batch
    atomic_batch: bool
    #: TRC-2 (the seed's fix): fsync the DLQ file before closing it
    dlq_fsync_file: bool
    #: TRC-2 (done fully): write a temp file, fsync, rename, fsync the directory
    dlq_atomic_rename: bool
    #: TRC-2: a torn or unreadable DLQ file is set aside, no retry slot spent
    set_aside_unreadable: bool
    #: TRC-3 / TRC-4: the schema has unique keys per tenant (migrations 002 and 003)
    tenant_keys: bool
    #: TRC-1 / TRC-4: rows written in key order, so concurrent batches lock in one order
    ordered_writes: bool

    def lacks(self, switch: Switch) -> bool:
        """True where this variant keeps the pre-fix behaviour of ``switch``.

        Code branches on it (``if variant.lacks(...): <pre-fix> else: <fixed>``) so that the
        pre-fix side is plain to read, and to ``harness mutate``, whose map names ``lacks``
        as the guard: only the fixed side of such a branch is mutated.
        """
        return not getattr(self, switch)

    @property
    def schema_head(self) -> int:
        """The newest migration this variant's code is written for."""
        return 1 if self.lacks("tenant_keys") else 3


PREFIX = Variant(
    "prefix",
    atomic_batch=False,
    dlq_fsync_file=False,
    dlq_atomic_rename=False,
    set_aside_unreadable=False,
    tenant_keys=False,
    ordered_writes=False,
)
#: the pull request: one transaction, and an fsync before close; the unique keys
#: deferred ("Out of scope for P0")
SEED = replace(PREFIX, name="seed", atomic_batch=True, dlq_fsync_file=True)
FIXED = replace(
    SEED,
    name="fixed",
    dlq_atomic_rename=True,
    set_aside_unreadable=True,
    tenant_keys=True,
    ordered_writes=True,
)

VARIANTS: dict[str, Variant] = {v.name: v for v in (PREFIX, SEED, FIXED)}


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise UnknownVariant(
            f"unknown TRC variant {name!r}; known: {', '.join(VARIANTS)}"
        ) from None


def from_env(default: str = "fixed") -> Variant:
    return variant(os.environ.get(ENV, default))

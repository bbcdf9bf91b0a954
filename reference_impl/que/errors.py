"""Errors the fixed queue raises on purpose, each saying which side failed."""

from __future__ import annotations


class QueueError(Exception):
    """Root of the queue's own errors."""


class JobNotFound(QueueError, LookupError):
    """A status update named a job that has no hash: nothing was written."""


class SchemaWriteError(QueueError):
    """A key had the wrong type, found before any write: nothing was written.

    ``schema`` says which: ``old``, ``new``, ``queue`` or ``idempotency``.
    """

    def __init__(self, schema: str, message: str) -> None:
        super().__init__(message)
        self.schema = schema

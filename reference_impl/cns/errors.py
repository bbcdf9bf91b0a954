"""The store's own errors: one root, each message says what happened and what to do."""

from __future__ import annotations


class StoreError(Exception):
    """Root of the consensus store's errors."""


class NotADatabase(StoreError):
    """The file exists but is not an SQLite database: it was not touched."""


class SchemaTooNew(StoreError):
    """The file's ``user_version`` is newer than this code knows: it was not touched."""


class ReadOnlyDatabase(StoreError):
    """The file (or its directory) cannot be written: nothing was changed."""


class DatabaseFull(StoreError):
    """The disk, or SQLite's own size limit, is full: the transaction was rolled back."""


class MigrationError(StoreError):
    """A migration could not run (its SQL failed): the transaction was rolled back."""


class PermanentError(StoreError):
    """An error retrying cannot cure (a constraint, bad input): raised after one attempt."""


class RetriesExhausted(StoreError):
    """A transient error outlasted every retry of the schedule; ``log`` says what was tried."""

    def __init__(self, message: str, log: object) -> None:
        super().__init__(message)
        self.log = log


class PoolTimeout(StoreError):
    """No pooled connection became free in time."""


class InvalidArgument(StoreError, ValueError):
    """An API argument is malformed (unknown variant, empty id, bad setting)."""

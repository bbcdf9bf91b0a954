"""One root exception for everything the trace pipeline refuses on purpose.

A refusal is raised before anything is written (or inside a transaction that is
then rolled back), so a caller that sees one knows the database is unchanged.
"""

from __future__ import annotations


class TrcError(Exception):
    """Root of every deliberate refusal of the trace ingestion pipeline."""


class InvalidBatch(TrcError):
    """A batch that can never be stored: a missing tenant, a malformed id, a dangling row.

    Permanent: retrying or replaying it cannot help, so it is rejected to its
    source (which keeps it) rather than dead-lettered.
    """


class UnreadableDlqFile(TrcError):
    """A DLQ file that does not hold one whole batch in our format.

    ``kind`` says why: ``empty``, ``torn`` (cut short or altered: not JSON, or
    its checksum does not match), ``foreign`` (JSON, but not a TRC DLQ
    envelope of a version we read) or ``invalid`` (our envelope, a bad batch).
    """

    def __init__(self, path: str, kind: str, detail: str) -> None:
        self.path = path
        self.kind = kind
        self.detail = detail
        super().__init__(f"DLQ file {path} is {kind}: {detail}")


class DlqError(TrcError):
    """The dead-letter directory itself is unusable (missing, not a directory, not ours)."""


class MigrationError(TrcError):
    """A migration could not be applied or reverted; the message names which and why."""


class UnknownVariant(TrcError):
    """A variant name that is not ``prefix``, ``seed`` or ``fixed``."""

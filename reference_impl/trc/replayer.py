"""Replay the DLQ: one attempt per file per pass (TRC-2, TRC-3).

For each file: read it; spend an attempt (the rename that counts it, made
durable first, so a replayer that crashes mid-attempt still used it: a batch
that crashes the replayer every time is evicted all the same); write the batch;
on commit remove the file. A file that has used ``max_retries`` attempts is
moved to ``evicted/``: exactly ``max_retries`` real attempts.

A file that cannot be read (empty, torn, foreign, invalid):
``prefix``/``seed``: counted as a failed attempt like any other, so a torn file
spends a slot on every pass until it is evicted (the seed's own description).
``fixed``: moved to ``set-aside/`` at once, no slot spent, and listed in the
report with the reason.

A pass stops at the first failure of the database, not of the batch (a lost connection, a lock
not granted in time): a database down or refusing writes would spend every attempt in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.trc import envelope
from reference_impl.trc.dlq import Dlq, Entry
from reference_impl.trc.errors import UnreadableDlqFile
from reference_impl.trc.store import write_batch


@dataclass
class ReplayReport:
    stored: list[str] = field(default_factory=list)  # batch ids committed, file removed
    failed: list[str] = field(default_factory=list)  # file names whose attempt failed
    evicted: list[str] = field(default_factory=list)  # file names moved to evicted/
    set_aside: list[tuple[str, str, str]] = field(default_factory=list)  # (name, kind, detail)
    stopped: str | None = None  # why the pass stopped early, if it did
    listed: list[str] = field(default_factory=list)  # file names the pass found pending
    taken: list[str] = field(default_factory=list)  # listed file names another replayer took


def replay(conn: psycopg.Connection, dlq: Dlq) -> ReplayReport:
    """One pass over every pending file; ``conn`` in autocommit mode."""
    pending = dlq.pending()
    report = ReplayReport(listed=[entry.path.name for entry in pending])
    for entry in pending:
        crashpoint("trc.replay.file")
        if not _replay_one(conn, dlq, entry, report):
            break
    return report


def _replay_one(conn: psycopg.Connection, dlq: Dlq, entry: Entry, report: ReplayReport) -> bool:
    """Replay ``entry``; False when the pass must stop."""
    if entry.attempts >= dlq.max_retries:
        _evict(dlq, entry, report)  # left over from a crash between the last attempt and eviction
        return True
    try:
        data = entry.path.read_bytes()
    except FileNotFoundError:  # another replayer took it since the listing
        report.taken.append(entry.path.name)
        return True
    try:
        batch = envelope.decode(str(entry.path), data)
        crashpoint("trc.replay.read")  # a batch read whole, not yet claimed
    except UnreadableDlqFile as exc:
        if dlq.variant.lacks("set_aside_unreadable"):
            batch = None  # pre-fix: an unreadable file is one more failed attempt
        else:
            if dlq.set_aside(entry) is not None:
                report.set_aside.append((entry.path.name, exc.kind, exc.detail))
                crashpoint("trc.replay.set_aside")
            return True
    counted = dlq.count_attempt(entry)
    if counted is None:  # another replayer counted this attempt first: it is theirs
        report.taken.append(entry.path.name)
        return True
    crashpoint("trc.replay.counted")
    if batch is None:
        return _failed(dlq, counted, report)
    try:
        write_batch(conn, batch, dlq.variant)
    except Exception as exc:  # any failure of the write is a failed attempt
        _failed(dlq, counted, report)
        if conn.broken or isinstance(exc, psycopg.OperationalError):
            report.stopped = f"database unreachable: {exc}"
            return False
        return True
    crashpoint("trc.replay.after_commit")
    dlq.remove(counted)
    crashpoint("trc.replay.removed")
    report.stored.append(batch.batch_id)
    return True


def _failed(dlq: Dlq, entry: Entry, report: ReplayReport) -> bool:
    report.failed.append(entry.path.name)
    if entry.attempts >= dlq.max_retries:
        _evict(dlq, entry, report)
    return True


def _evict(dlq: Dlq, entry: Entry, report: ReplayReport) -> None:
    if dlq.evict(entry) is not None:
        report.evicted.append(entry.path.name)
        crashpoint("trc.replay.evicted")

"""The dead-letter queue: one JSON file per failed batch in a directory (TRC-2).

Names: ``<batch id>.json`` when enqueued, ``<batch id>.a<N>.json`` after N
replay attempts. The attempt count lives in the file name, for three reasons:
it must survive a crash, so it belongs on disk beside the batch; a rename is
atomic, so counting never rewrites the batch's bytes (a rewrite is exactly the
torn write TRC-2 is about); and not in PostgreSQL, because replay runs when the
database has been failing, and a count kept there would be unreadable when it
matters. The rename is also the replayer's claim: of two replayers that try to
count one attempt, one rename wins, the other finds the file gone.

Enqueue, by variant:
``prefix``: write the file in place and close it, no fsync. Returns before the
bytes or the name are durable: a power loss may drop or tear an acknowledged batch.
``seed``: the same with ``fsync`` before ``close`` (the pull request). The bytes
are durable once it returns, but the new name is not (its directory is never
fsynced), and a power loss mid-write leaves a torn file under its final name.
``fixed``: write ``.<batch id>.tmp``, fsync, close, rename to the final name,
fsync the directory: after a power loss the final name holds the whole batch
or does not exist, and once enqueue returns it exists.

Sub-directories: ``set-aside/`` (files replay could not read, fixed only) and
``evicted/`` (batches that used up their attempts). Nothing is deleted unread.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from harness.crashpoints import crashpoint
from reference_impl.trc import envelope
from reference_impl.trc.batch import Batch
from reference_impl.trc.errors import DlqError
from reference_impl.trc.variants import Variant

#: The seed names ``DLQ_MAX_RETRIES`` and never gives its value; 5 is ours.
DEFAULT_MAX_RETRIES = 5
SET_ASIDE = "set-aside"
EVICTED = "evicted"
_NAME = re.compile(r"^(?P<stem>[^.]+)(?:\.a(?P<attempts>\d+))?\.json$")


@dataclass(frozen=True)
class Entry:
    """One file waiting for replay."""

    path: Path
    stem: str  # the batch id, for a file we wrote
    attempts: int

    def renamed(self, attempts: int) -> Path:
        return self.path.with_name(f"{self.stem}.a{attempts}.json")


class Dlq:
    def __init__(
        self,
        directory: str | os.PathLike[str],
        variant: Variant,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 1:
            raise DlqError(f"max_retries must be an integer >= 1, got {max_retries!r}")
        self.dir = Path(directory)
        if not self.dir.is_dir():
            raise DlqError(f"DLQ directory {self.dir} does not exist or is not a directory")
        self.variant = variant
        self.max_retries = max_retries

    # -- enqueue ---------------------------------------------------------------------------

    def enqueue(self, batch: Batch) -> Path:
        """Write ``batch`` as a new DLQ file; in ``fixed``, durable once this returns."""
        data = envelope.encode(batch)
        final = self.dir / f"{batch.batch_id}.json"
        if self.variant.lacks("dlq_atomic_rename"):
            self._write_in_place(final, data)
            return final
        existing = self.find(batch.batch_id)
        if existing is not None:
            # Redelivered after a crash between enqueue and ack: it is already durable
            # here, with its attempt count; a second copy would be replayed twice.
            return existing.path
        tmp = self.dir / f".{batch.batch_id}.tmp"
        self._write_file(tmp, data)
        crashpoint("trc.dlq.enqueue.after_close")
        os.rename(tmp, final)
        crashpoint("trc.dlq.enqueue.after_rename")
        self.sync_dir()
        crashpoint("trc.dlq.enqueue.after_dir_fsync")
        return final

    def _write_in_place(self, final: Path, data: bytes) -> None:
        self._write_file(final, data)
        crashpoint("trc.dlq.enqueue.after_close")

    def _write_file(self, path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            crashpoint("trc.dlq.enqueue.opened")
            _write_all(fd, data)
            crashpoint("trc.dlq.enqueue.after_write")
            if self.variant.dlq_fsync_file:
                os.fsync(fd)
                crashpoint("trc.dlq.enqueue.after_fsync")
        finally:
            os.close(fd)

    # -- listing and moving ----------------------------------------------------------------

    def pending(self) -> list[Entry]:
        """Files waiting for replay, by name (temp and hidden files are not listed)."""
        out = []
        for path in sorted(self.dir.iterdir()):
            match = _NAME.match(path.name)
            if match and path.is_file():
                out.append(Entry(path, match["stem"], int(match["attempts"] or 0)))
        return out

    def find(self, batch_id: str) -> Entry | None:
        for entry in self.pending():
            if entry.stem == batch_id:
                return entry
        return None

    def count_attempt(self, entry: Entry) -> Entry | None:
        """Spend one attempt (rename to ``.a<N+1>``); None if another replayer took it first."""
        moved = Entry(entry.renamed(entry.attempts + 1), entry.stem, entry.attempts + 1)
        if not _rename(entry.path, moved.path):
            return None
        if self.variant.dlq_atomic_rename:
            self.sync_dir()
        return moved

    def remove(self, entry: Entry) -> None:
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            return
        if self.variant.dlq_atomic_rename:
            self.sync_dir()

    def set_aside(self, entry: Entry) -> Path | None:
        return self._move(entry, SET_ASIDE)

    def evict(self, entry: Entry) -> Path | None:
        return self._move(entry, EVICTED)

    def _move(self, entry: Entry, sub: str) -> Path | None:
        target_dir = self.dir / sub
        target_dir.mkdir(exist_ok=True)
        target = target_dir / entry.path.name
        if not _rename(entry.path, target):
            return None
        if self.variant.dlq_atomic_rename:
            _fsync_dir(target_dir)
            self.sync_dir()
        return target

    def sweep_temp(self) -> list[Path]:
        """Remove temp files of enqueues that never returned (run at start, before any enqueue).

        Such a batch was never acknowledged, so its source delivers it again.
        """
        gone = [p for p in self.dir.glob(".*.tmp") if p.is_file()]
        crashpoint("trc.dlq.sweep.listed")
        for path in gone:  # missing_ok: another instance starting at once swept it first
            path.unlink(missing_ok=True)
        if gone:
            self.sync_dir()
        return gone

    def sync_dir(self) -> None:
        _fsync_dir(self.dir)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _rename(src: Path, dst: Path) -> bool:
    try:
        os.rename(src, dst)
    except FileNotFoundError:  # exactly ENOENT: another replayer moved it first
        return False
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

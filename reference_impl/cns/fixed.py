"""The reference store (CNS-1..CNS-8, docs/fixes.md).

- Pragmas on every pooled connection: WAL, ``synchronous = FULL`` (a commit
  that returned survives a power cut: WAL is fsynced at each commit),
  ``foreign_keys = ON``, ``busy_timeout = 5000``, ``auto_vacuum = INCREMENTAL``
  (effective on a new file; migration V3 converts an old one with one VACUUM).
- Writes: one ``BEGIN IMMEDIATE`` transaction each (no read-to-write upgrade,
  so no SQLITE_BUSY_SNAPSHOT from our own writes), the whole transaction
  retried: BUSY/LOCKED after 100, 200, 400, 800, 1600 ms (+/-20 %),
  BUSY_SNAPSHOT (a caller's DEFERRED transaction) restarted at once, anything
  else raised after one attempt.
- Migrations: versioned, one IMMEDIATE transaction each, version read inside.
- Data migration V2: lossless and rerunnable; dual-write of old and new rows in
  one transaction; ``validate()`` compares them row for row.
- Agent state: SQLite first (committed), memory second; rebuilt on open.
- Vacuum: incremental in chunks, then a TRUNCATE checkpoint.
"""

from __future__ import annotations

import apsw

from reference_impl.cns import migrations, sql, vacuum
from reference_impl.cns.migrations import FIXED_LATEST
from reference_impl.cns.records import ConsensusRun
from reference_impl.cns.retry import Backoff, Retrier, jitter_reference
from reference_impl.cns.store import ConsensusStore, T, Work
from reference_impl.cns.txn import Mode
from reference_impl.cns.vacuum import VacuumStats

#: Pages freed per incremental_vacuum step (4 MiB at 4 KiB pages): writers wait one chunk.
VACUUM_CHUNK_PAGES = 1024

#: CNS-1: set on every new connection (auto_vacuum before any table exists). A module
#: constant read when a connection opens, so a mutation run can change it.
PRAGMAS: dict[str, object] = {
    "auto_vacuum": "INCREMENTAL",
    "journal_mode": "WAL",
    "synchronous": "FULL",
    "foreign_keys": "ON",
    "busy_timeout": 5000,
}

#: CNS-6: waits of 100, 200, 400, 800, 1600 ms before retries 1..5 (then give up).
BACKOFF_BASE_MS = 100.0
BACKOFF_FACTOR = 2.0
BACKOFF_RETRIES = 5


class FixedStore(ConsensusStore):
    variant = "fixed"
    latest_version = FIXED_LATEST
    pragmas = PRAGMAS
    skip_set_pragmas = True

    def _variant_pragmas(self) -> dict[str, object]:
        return PRAGMAS

    def _latest_version(self) -> int:
        return migrations.fixed_latest()

    def _retrier(self) -> Retrier:
        backoff = Backoff(BACKOFF_BASE_MS, BACKOFF_FACTOR, BACKOFF_RETRIES, jitter_reference)
        return Retrier(backoff=backoff, sleep=self.config.sleep, rng=self.config.rng)

    def transact(self, work: Work[T], mode: Mode | str = "default", name: str = "txn") -> T:
        txn_mode: Mode = "immediate" if mode == "default" else mode  # type: ignore[assignment]
        return self._retried(self._retrier(), work, txn_mode, name)

    def _migrate(self, conn: apsw.Connection) -> list[int]:
        # Migrations wait out a competing migrator or writer like any write.
        return self._retrier().run(
            lambda: migrations.run_versioned(conn, migrations.fixed_migrations())
        )

    def migrate_data(self) -> list[int]:
        """V2 is part of the versioned migrations: this reruns them (a no-op when current)."""
        with self.connection() as conn:
            return self._migrate(conn)

    def store_run(self, run: ConsensusRun) -> None:
        dual = self.config.dual_write
        self.transact(lambda conn: sql.write_run(conn, run, dual), name="store_run")

    def vacuum(self) -> VacuumStats:
        return self.read(lambda c: vacuum.incremental(c, self.path, VACUUM_CHUNK_PAGES))

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

from harness.crashpoints import crashpoint
from reference_impl.cns import migrations, sql, vacuum
from reference_impl.cns.migrations import FIXED_LATEST, FIXED_MIGRATIONS
from reference_impl.cns.pool import ConnectionPool, Connections
from reference_impl.cns.records import ConsensusRun
from reference_impl.cns.retry import Retrier, RetryLog
from reference_impl.cns.store import ConsensusStore, T, Work
from reference_impl.cns.txn import Mode, in_transaction
from reference_impl.cns.vacuum import VacuumStats
from reference_impl.cns.validator import Mismatches, compare_linked

#: Pages freed per incremental_vacuum step (4 MiB at 4 KiB pages): writers wait one chunk.
VACUUM_CHUNK_PAGES = 1024


class FixedStore(ConsensusStore):
    variant = "fixed"
    latest_version = FIXED_LATEST
    pragmas = {
        "auto_vacuum": "INCREMENTAL",
        "journal_mode": "WAL",
        "synchronous": "FULL",
        "foreign_keys": "ON",
        "busy_timeout": 5000,
    }
    skip_set_pragmas = True

    def _connections(self, first: apsw.Connection) -> Connections:
        pool = ConnectionPool(self._new_connection, self.config.pool_size, self.config.pool_wait_s)
        pool.adopt(first)
        return pool

    def transact(self, work: Work[T], mode: Mode | str = "default", name: str = "txn") -> T:
        txn_mode: Mode = "immediate" if mode == "default" else mode  # type: ignore[assignment]
        log = RetryLog()
        self.last_retry = log
        retrier = Retrier(sleep=self.config.sleep, rng=self.config.rng)

        def attempt() -> T:
            with self.connection() as conn:
                return in_transaction(conn, work, txn_mode, name)

        return retrier.run(attempt, log)

    def _migrate(self, conn: apsw.Connection) -> list[int]:
        # Migrations wait out a competing migrator or writer like any write.
        retrier = Retrier(sleep=self.config.sleep, rng=self.config.rng)
        return retrier.run(lambda: migrations.run_versioned(conn, FIXED_MIGRATIONS))

    def migrate_data(self) -> list[int]:
        """V2 is part of the versioned migrations: this reruns them (a no-op when current)."""
        with self.connection() as conn:
            return self._migrate(conn)

    def store_run(self, run: ConsensusRun) -> None:
        def work(conn: apsw.Connection) -> None:
            ids = []
            for out in run.outputs:
                ids.append(sql.insert_artifact(conn, run, out))
                crashpoint("cns.store_run.after_artifact")
            if run.synthesis is not None:
                sql.insert_synthesis(conn, run, run.synthesis)
                crashpoint("cns.store_run.after_synthesis")
            if self.config.dual_write:
                ref = sql.upsert_run(conn, run.spec_id, run.stage, run.run_id, run.created_at)
                crashpoint("cns.store_run.after_run")
                for aid, out in zip(ids, run.outputs, strict=True):
                    sql.insert_output(conn, ref, aid, run, out)
                    crashpoint("cns.store_run.after_output")
                if run.synthesis is not None:
                    sql.set_run_synthesis(conn, ref, run.synthesis)

        self.transact(work, name="store_run")

    def validate(self) -> Mismatches:
        return self.read(compare_linked)

    def vacuum(self) -> VacuumStats:
        return self.read(lambda c: vacuum.incremental(c, self.path, VACUUM_CHUNK_PAGES))

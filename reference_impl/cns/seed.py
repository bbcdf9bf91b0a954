"""The seed's plan as written, wherever it is concrete; measured, not trusted.

- Pragmas: WAL, ``synchronous``, ``cache_size``, ``mmap_size`` and
  ``auto_vacuum`` set on each pooled connection. The seed names ``synchronous``
  without a value; NORMAL is the "optimized" WAL setting it is after (FULL is
  already SQLite's default). ``auto_vacuum`` set on a connection does nothing to
  a file that already has tables: the seed's existing 153 MB file stays NONE.
- A pool of 10 (r2d2-sqlite), each connection with rusqlite's 5 s busy timeout.
- Migrations: ``user_version`` read before a DEFERRED transaction; V1 is the
  seed's target schema as written (``schema.SEED_V1``).
- Data migration: the seed's one-time SQL, verbatim (``seed_sql``).
- Dual-write: old tables, then new tables, in two transactions, with a
  read-compare after each write ("log mismatches").
- Retry (backon, as the seed names it): 100 ms doubling to 1.6 s, backon's
  jitter (adds up to min_delay), SQLITE_BUSY by primary code only; the retried
  unit is the operation (a whole transaction).
- Agent state: SQLite first, memory second (the seed's own fix).
- Vacuum: ``PRAGMA incremental_vacuum`` (a daily job), nothing else.
"""

from __future__ import annotations

import logging

import apsw

from harness.crashpoints import crashpoint
from reference_impl.cns import migrations, sql, vacuum
from reference_impl.cns.migrations import Migration
from reference_impl.cns.records import ConsensusRun
from reference_impl.cns.retry import Backoff, Retrier, classify_seed, jitter_backon
from reference_impl.cns.schema import LEGACY, SEED_V1
from reference_impl.cns.seed_sql import SEED_MIGRATION_SQL
from reference_impl.cns.store import ConsensusStore, T, Work
from reference_impl.cns.txn import Mode
from reference_impl.cns.vacuum import VacuumStats
from reference_impl.cns.validator import Mismatches, compare_by_content

LOG = logging.getLogger("reference_impl.cns.seed")

SEED_MIGRATIONS = (Migration(1, "v1", SEED_V1),)


class SeedStore(ConsensusStore):
    variant = "seed"
    latest_version = 1
    pragmas = {
        "auto_vacuum": "INCREMENTAL",
        "journal_mode": "WAL",
        "synchronous": "NORMAL",
        "cache_size": -64000,
        "mmap_size": 268435456,
        "busy_timeout": 5000,
    }
    memory_first = False
    #: What the read-compare after each write found (counted per store).
    mismatches_logged: int = 0

    def _retrier(self) -> Retrier:
        return Retrier(
            backoff=Backoff(jitter=jitter_backon),
            classify=classify_seed,
            sleep=self.config.sleep,
            rng=self.config.rng,
            restart_at_once=False,
        )

    def transact(self, work: Work[T], mode: Mode | str = "default", name: str = "txn") -> T:
        txn_mode: Mode = "deferred" if mode == "default" else mode  # type: ignore[assignment]
        return self._retried(self._retrier(), work, txn_mode, name)

    def _migrate(self, conn: apsw.Connection) -> list[int]:
        conn.execute(LEGACY)  # the current code's CREATE TABLE IF NOT EXISTS, on every open
        return migrations.run_seed(conn, SEED_MIGRATIONS)

    def migrate_data(self) -> None:
        with self.connection() as conn:
            migrations.guarded(conn, _run_seed_sql, "deferred", "migrate_data")

    def store_run(self, run: ConsensusRun) -> None:
        def old(conn: apsw.Connection) -> None:
            for out in run.outputs:
                sql.insert_artifact(conn, run, out)
                crashpoint("cns.store_run.after_artifact")
            if run.synthesis is not None:
                sql.insert_synthesis(conn, run, run.synthesis)

        def new(conn: apsw.Connection) -> None:
            syn = run.synthesis
            conn.execute(
                "INSERT INTO consensus_runs(spec_id, stage, run_timestamp, consensus_ok, degraded,"
                " synthesis_json) VALUES (?, ?, strftime('%s', ?) * 1000, ?, ?, ?)",
                (
                    run.spec_id,
                    run.stage,
                    run.created_at,
                    int(syn is not None and syn.status == "ok"),
                    int(syn is not None and syn.degraded),
                    syn.to_json() if syn is not None else None,
                ),
            )
            ref = conn.last_insert_rowid()
            crashpoint("cns.store_run.after_run")
            for out in run.outputs:
                conn.execute(
                    "INSERT INTO agent_outputs(run_id, agent_name, model_version, content,"
                    " output_timestamp) VALUES (?, ?, ?, ?, strftime('%s', ?) * 1000)",
                    (ref, out.agent_name, out.model_version, out.content_json, run.created_at),
                )
                crashpoint("cns.store_run.after_output")

        self.transact(old, name="store_run_old")
        crashpoint("cns.store_run.between_schemas")
        if self.config.dual_write:
            self.transact(new, name="store_run_new")
            found = self.validate()
            if found.count:
                self.mismatches_logged += found.count
                LOG.warning("dual-write mismatch: %s", found.to_json())

    def validate(self) -> Mismatches:
        return self.read(compare_by_content)

    def _linked_schema(self) -> bool:
        return False

    def vacuum(self) -> VacuumStats:
        return self.read(lambda c: vacuum.seed_daily(c, self.path))


def _run_seed_sql(conn: apsw.Connection) -> bool:
    for i, stmt in enumerate(migrations.statements(SEED_MIGRATION_SQL), 1):
        conn.execute(stmt)
        crashpoint(f"cns.migrate_data.stmt{i}")
    return True

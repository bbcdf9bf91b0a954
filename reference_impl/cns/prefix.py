"""The seed's code as it found it: one mutex-guarded connection, SQLite's defaults, no transactions.

Multi-step writes run statement by statement in autocommit; the in-memory agent
state changes before the database; no retry (an SQLITE_BUSY reaches the caller);
schema changes unversioned (IF NOT EXISTS, version set last); the data copy
row by row; no vacuum. The new tables have the reference shape, so the only
difference a scenario sees is ordering and atomicity.
"""

from __future__ import annotations

import apsw

from harness.crashpoints import crashpoint
from reference_impl.cns import migrations, sql, vacuum
from reference_impl.cns.pool import Connections, SingleConnection
from reference_impl.cns.records import ConsensusRun
from reference_impl.cns.store import ConsensusStore, T, Work
from reference_impl.cns.txn import Mode, in_transaction
from reference_impl.cns.vacuum import VacuumStats


class PrefixStore(ConsensusStore):
    variant = "prefix"
    latest_version = 3
    # rusqlite (the seed's binding) sets a 5 s busy timeout on every connection it opens;
    # nothing else is configured: rollback journal, synchronous FULL, no foreign keys.
    pragmas = {"busy_timeout": 5000}
    memory_first = True

    def _connections(self, first: apsw.Connection) -> Connections:
        first.close()
        return SingleConnection(self._new_connection, self.config.pool_wait_s)

    def transact(self, work: Work[T], mode: Mode | str = "default", name: str = "txn") -> T:
        """Its own writes run in autocommit; a caller that asks for a transaction gets one
        (the binding offers it), with no retry."""
        with self.connection() as conn:
            if mode == "default":
                return work(conn)
            return in_transaction(conn, work, mode, name)  # type: ignore[arg-type]

    def _migrate(self, conn: apsw.Connection) -> list[int]:
        # The reference's V1 script, built per call: a file this release made (the start of
        # a phase-2 upgrade) has the tables the reference's V1 makes, mutated ones included.
        return migrations.run_unversioned(conn, migrations.fixed_migrations()[:1])

    def migrate_data(self) -> int:
        """Row by row, in autocommit, with nothing to say it already ran."""
        copied = 0
        with self.connection() as conn:
            rows = list(
                conn.execute(
                    "SELECT id, spec_id, stage, agent_name, content_json, response_text, run_id,"
                    " created_at FROM consensus_artifacts ORDER BY id"
                )
            )
            for _aid, spec, stage, agent, content, response, run_id, created in rows:
                ref = sql.upsert_run(conn, spec, stage, run_id, created)
                conn.execute(
                    "INSERT INTO agent_outputs(run_ref, agent_name, content, response_text,"
                    " created_at) VALUES (?, ?, ?, ?, ?)",
                    (ref, agent, content, response, created),
                )
                copied += 1
                crashpoint("cns.migrate_data.row")
            conn.execute("PRAGMA user_version = 2")
        return copied

    def store_run(self, run: ConsensusRun) -> None:
        """The same statements as the reference's, each in autocommit."""
        with self.connection() as conn:
            sql.write_run(conn, run, self.config.dual_write)

    def vacuum(self) -> VacuumStats:
        return self.read(lambda c: vacuum.none(c, self.path))

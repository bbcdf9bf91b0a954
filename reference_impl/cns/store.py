"""What every variant of the consensus store offers; scenarios only talk to this surface.

A store is a file, a set of connections (a pool, or the seed's one
mutex-guarded connection), the in-memory agent state beside it, and the
variant's choices: pragmas, transactions, retry, order of memory and database,
migrations, dual-write and vacuum. ``open()`` checks the file, migrates and
rebuilds the agent state from the database (a restart is a new store opened
on the same file).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import ClassVar, TypeVar

import apsw

from harness.crashpoints import crashpoint
from reference_impl.cns import agents, sql
from reference_impl.cns.agents import AgentState, Listener
from reference_impl.cns.config import StoreConfig
from reference_impl.cns.connection import (
    apply_pragmas,
    open_connection,
    read_pragmas,
    user_version,
)
from reference_impl.cns.errors import InvalidArgument, SchemaTooNew, StoreError
from reference_impl.cns.pool import ConnectionPool, Connections
from reference_impl.cns.records import ConsensusRun
from reference_impl.cns.retry import Retrier, RetryLog
from reference_impl.cns.txn import Mode, in_transaction
from reference_impl.cns.vacuum import VacuumStats
from reference_impl.cns.validator import Mismatches, compare_linked

T = TypeVar("T")
Work = Callable[[apsw.Connection], T]


class ConsensusStore(abc.ABC):
    variant: ClassVar[str]
    latest_version: ClassVar[int]
    #: Set on every new connection, in this order (auto_vacuum before any table exists).
    pragmas: ClassVar[dict[str, object]]
    #: The seed's today: the in-memory state is changed before the database is written.
    memory_first: ClassVar[bool] = False
    #: Do not set a persistent pragma the file already has (it would wait on the write lock).
    skip_set_pragmas: ClassVar[bool] = False

    def __init__(
        self,
        path: str | Path,
        config: StoreConfig | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.path = Path(path)
        self.config = config if config is not None else StoreConfig()
        self.agents = AgentState(listener)
        self.last_retry: RetryLog | None = None
        #: The schema versions this store's start-up applied (none: the file was current).
        self.migrated: list[int] = []
        self._conns: Connections | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def open(self) -> ConsensusStore:
        first = self._new_connection()
        self._conns = self._connections(first)
        try:
            with self.connection() as conn:
                self.migrated = self._migrate(conn)
            self.agents.replace(self.read(lambda c: agents.rebuild(sql.agent_rows(c))))
        except BaseException:
            self.close()
            raise
        crashpoint("cns.open.ready")
        return self

    def close(self) -> None:
        if self._conns is not None:
            self._conns.close()
            self._conns = None

    def __enter__(self) -> ConsensusStore:
        return self.open() if self._conns is None else self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _new_connection(self) -> apsw.Connection:
        conn = open_connection(self.path, vfs=self.config.vfs)
        try:
            version, latest = user_version(conn), self._latest_version()
            if version > latest:
                raise SchemaTooNew(
                    f"{self.path} is at schema version {version}, newer than this code knows "
                    f"({latest}); it was left as it is: run a newer release"
                )
            pragmas = dict(self.config.extra_pragmas)
            pragmas.update(self._variant_pragmas())
            if self.config.busy_timeout_ms is not None:
                pragmas["busy_timeout"] = self.config.busy_timeout_ms
            apply_pragmas(conn, pragmas, skip_if_set=self.skip_set_pragmas)
        except BaseException:
            conn.close()
            raise
        return conn

    def _variant_pragmas(self) -> Mapping[str, object]:
        return self.pragmas

    def _latest_version(self) -> int:
        return self.latest_version

    def _connections(self, first: apsw.Connection) -> Connections:
        """A pool of ``pool_size`` (the plan's and the reference's), ``first`` in it."""
        pool = ConnectionPool(self._new_connection, self.config.pool_size, self.config.pool_wait_s)
        pool.adopt(first)
        return pool

    def connection(self) -> AbstractContextManager[apsw.Connection]:
        """One connection for the length of a ``with`` block (the pool's, or the single one)."""
        if self._conns is None:
            raise StoreError("the store is not open: call open() (or use it as a context manager)")
        return self._conns.connection()

    # -- transactions ------------------------------------------------------------------
    @abc.abstractmethod
    def transact(self, work: Work[T], mode: Mode | str = "default", name: str = "txn") -> T:
        """Run ``work(conn)`` as the variant runs its writes (``mode``: immediate/deferred)."""

    def _retried(self, retrier: Retrier, work: Work[T], mode: Mode, name: str) -> T:
        """``work`` in one transaction of ``mode`` on a pooled connection, under ``retrier``
        (the whole transaction is the unit of retry); its attempts kept in ``last_retry``."""
        log = RetryLog()
        self.last_retry = log

        def attempt() -> T:
            with self.connection() as conn:
                return in_transaction(conn, work, mode, name)

        return retrier.run(attempt, log)

    def read(self, work: Work[T]) -> T:
        with self.connection() as conn:
            return work(conn)

    # -- migrations --------------------------------------------------------------------
    @abc.abstractmethod
    def _migrate(self, conn: apsw.Connection) -> list[int]: ...

    @abc.abstractmethod
    def migrate_data(self) -> object:
        """Copy the flat ``consensus_artifacts`` into the normalized tables (CNS-3)."""

    def schema_version(self) -> int:
        return self.read(user_version)

    # -- consensus runs (dual-write) ---------------------------------------------------
    @abc.abstractmethod
    def store_run(self, run: ConsensusRun) -> None: ...

    def validate(self) -> Mismatches:
        """The read-compare of old rows against new ones (the seed's schema overrides it)."""
        return self.read(compare_linked)

    # -- agents (CNS-5) ----------------------------------------------------------------
    def record_agent_spawn(
        self,
        agent_id: str,
        spec_id: str,
        stage: str,
        agent_name: str,
        spawned_at: str,
        phase_type: str = "regular_stage",
        run_id: str | None = None,
    ) -> None:
        if not agent_id:
            raise InvalidArgument("agent_id must be a non-empty string")

        def work(conn: apsw.Connection) -> None:
            conn.execute(
                "INSERT INTO agent_executions(agent_id, spec_id, stage, phase_type, agent_name,"
                " run_id, spawned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (agent_id, spec_id, stage, phase_type, agent_name, run_id, spawned_at),
            )

        self._agent_change("agent_spawn", agent_id, agents.SPAWNED, work)

    def record_agent_completion(self, agent_id: str, response_text: str, completed_at: str) -> None:
        def work(conn: apsw.Connection) -> None:
            row = conn.execute(
                "SELECT completed_at FROM agent_executions WHERE agent_id = ?", (agent_id,)
            ).fetchone()
            if row is None:
                raise InvalidArgument(f"no agent {agent_id!r} was spawned; nothing recorded")
            conn.execute(
                "UPDATE agent_executions SET completed_at = ?, response_text = ?"
                " WHERE agent_id = ?",
                (completed_at, response_text, agent_id),
            )

        self._agent_change("agent_complete", agent_id, agents.COMPLETED, work)

    def _agent_change(self, name: str, agent_id: str, status: str, work: Work[None]) -> None:
        if self.memory_first:
            self._memory_then_db(name, agent_id, status, work)
        else:
            self._db_then_memory(name, agent_id, status, work)

    def _memory_then_db(self, name: str, agent_id: str, status: str, work: Work[None]) -> None:
        """The seed's today: what the state shows may never reach the database."""
        self.agents.mark(agent_id, status)
        crashpoint(f"cns.{name}.after_memory")
        self.transact(work, name=name)
        crashpoint(f"cns.{name}.after_db")

    def _db_then_memory(self, name: str, agent_id: str, status: str, work: Work[None]) -> None:
        """CNS-5: the state shows only what is committed."""
        self.transact(work, name=name)
        crashpoint(f"cns.{name}.after_db")
        self.agents.mark(agent_id, status)
        crashpoint(f"cns.{name}.after_memory")

    # -- space (CNS-7) -----------------------------------------------------------------
    def delete_spec(self, spec_id: str) -> None:
        """Bulk delete every row of one spec, old and new tables."""

        def work(conn: apsw.Connection) -> None:
            tables = sql.table_names(conn)
            if "agent_outputs" in tables and "consensus_runs" in tables:
                link = "run_ref" if self._linked_schema() else "run_id"
                conn.execute(
                    f"DELETE FROM agent_outputs WHERE {link} IN"
                    " (SELECT id FROM consensus_runs WHERE spec_id = ?)",
                    (spec_id,),
                )
                conn.execute("DELETE FROM consensus_runs WHERE spec_id = ?", (spec_id,))
            for table in ("consensus_artifacts", "consensus_synthesis", "agent_executions"):
                conn.execute(f"DELETE FROM {table} WHERE spec_id = ?", (spec_id,))

        self.transact(work, name="delete_spec")

    def _linked_schema(self) -> bool:
        return True

    @abc.abstractmethod
    def vacuum(self) -> VacuumStats: ...

    # -- inspection --------------------------------------------------------------------
    def pragma_values(self) -> list[dict[str, object]]:
        """The pragmas in effect on every connection opened so far."""
        if self._conns is None:
            raise StoreError("the store is not open")
        return [read_pragmas(c) for c in self._conns.opened()]

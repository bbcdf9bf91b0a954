"""One scenario's world: a database, a DLQ directory, a durable source, the batches fed.

``reset()`` puts it back to its start (the setup step of every case); ``recover()``
is what operators run after a fault: the source delivers again what was never
acknowledged, then the DLQ is replayed until it is empty or every file has used
its attempts. ``state()`` is the evidence: rows, DLQ files, acknowledgements.
"""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from harness.crash import explore_points, through
from harness.races import explore_schedules, make_detector
from reference_impl.trc import Batch, Dlq, Variant, Worker, migrate, read_tenant, replay
from reference_impl.trc.envelope import encode
from scenarios.trc import child_ops, trcdb


@dataclass
class World:
    factory: Any
    variant: Variant
    root: Path
    batches: Sequence[Batch] = ()  # what the source delivers
    dead_lettered: Sequence[Batch] = ()  # what the DLQ holds at the start (acknowledged)
    invalid: Sequence[Batch] = ()  # batches the source delivers after ``batches``: never storable
    #: DLQ files by name, written as given at every reset (torn, foreign, exhausted...)
    dlq_files: dict[str, bytes] = field(default_factory=dict)
    max_retries: int = 3
    #: the database every case starts from: ``fresh(factory, variant)`` by default
    fresh: Callable[[Any, Variant], Any] = trcdb.fresh
    #: a new database per case (for cases that change the schema)
    reclone: bool = False
    db: Any = field(default=None, init=False)
    _conn: psycopg.Connection | None = field(default=None, init=False, repr=False)

    @property
    def dsn(self) -> str:
        return str(self.db.dsn)

    @property
    def dlq_dir(self) -> Path:
        return self.root / "dlq"

    @property
    def source_dir(self) -> Path:
        return self.root / "source"

    @property
    def conn(self) -> psycopg.Connection:
        """The scenario's own connection, kept across cases (a new one after a server cut it)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = trcdb.connect(self.dsn)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def reset(self) -> dict[str, Any]:
        """Empty tables and directories; return the facts the checks need (the batches fed).
        The schema is the variant's, made once; a case that changes it (a migration)
        gets a new database each time (``reclone=True``)."""
        if self.db is None or self.reclone:
            self.close()  # the factory's re-clone ends every session on the database
            self.db = self.fresh(self.factory, self.variant)
        else:
            # DELETE, not TRUNCATE: a handful of rows, and no new table files per case
            self.conn.execute("DELETE FROM logs; DELETE FROM spans; DELETE FROM traces")
        for d in (self.dlq_dir, self.source_dir):
            shutil.rmtree(d, ignore_errors=True)
        self.dlq_dir.mkdir(parents=True)
        child_ops.write_source(self.source_dir, [*self.batches, *self.invalid])
        for batch in self.dead_lettered:  # written whole and durable, whatever the variant
            (self.dlq_dir / f"{batch.batch_id}.json").write_bytes(encode(batch))
        for name, data in self.dlq_files.items():
            (self.dlq_dir / name).write_bytes(data)
        return {
            "batches": [b.to_dict() for b in self.all_batches],
            "invalid": [b.to_dict() for b in self.invalid],
            "variant": self.variant.name,
        }

    @property
    def all_batches(self) -> list[Batch]:
        return [*self.batches, *self.dead_lettered]

    # -- operations (picklable, for a child) ---------------------------------------------

    def ingest_op(self, link: Any = None) -> Callable[[], Any]:
        return functools.partial(
            child_ops.ingest,
            through(self.dsn, link),
            str(self.dlq_dir),
            str(self.source_dir),
            self.variant.name,
            self.max_retries,
        )

    def replay_op(self, link: Any = None) -> Callable[[], Any]:
        return functools.partial(
            child_ops.replay_pass,
            through(self.dsn, link),
            str(self.dlq_dir),
            self.variant.name,
            self.max_retries,
        )

    def migrate_op(self) -> Callable[[], Any]:
        return functools.partial(child_ops.migrate_up, self.dsn, self.variant.name)

    def explore(
        self,
        ctx: Any,
        op: Callable[[Any], Callable[[], Any]],
        faults: Sequence[Any],
        checks: Sequence[Any],
        **options: Any,
    ) -> None:
        """Each fault at each point of ``op(link)`` on this world (``explore_points``): reset
        per case, the state as evidence after the fault and after ``recover``."""
        explore_points(
            ctx,
            op=lambda facts, link: op(link),
            faults=faults,
            reset=options.pop("reset", self.reset),
            snapshot=self.state,
            recover=options.pop("recover", self.recover),
            checks=checks,
            **options,
        )

    def explore_schedules(
        self,
        ctx: Any,
        ops: dict[str, Callable[[], Any]],
        checks: Sequence[Any],
        *,
        detector_dsn: str | None = None,
        **options: Any,
    ) -> None:
        """Every schedule of ``ops`` on this world (``harness.races.explore_schedules``): reset
        per schedule, the state as evidence, a step waiting on a PostgreSQL lock seen by a
        blocking detector connected to ``detector_dsn`` (default: the world's database; a
        world re-cloned per case needs one of its own)."""
        detector = make_detector("postgres", dsn=detector_dsn or self.dsn)
        try:
            explore_schedules(
                ops,
                checks=checks,
                snapshot=options.pop("snapshot", self.state),
                setup=options.pop("setup", self.reset),
                ctx=ctx,
                blocking=detector,
                **options,
            )
        finally:
            detector.close()

    # -- recovery and evidence -------------------------------------------------------------

    def recover(self, steps: Any) -> None:
        """The operators' recovery, each step recorded by the engine's ``steps``: the source
        delivers again what was never acknowledged, then the DLQ is replayed until it is
        empty or every file used its attempts."""
        steps.run("source", self.redeliver, f="redeliver")
        steps.run("replayer", self.replay_all, f="replay")

    def redeliver(self) -> list[str]:
        """The source delivers again what was never settled: one take per batch it holds (a
        worker that never settles a batch must not hang the recovery)."""
        conn = self.conn
        worker = Worker(lambda: conn, Dlq(self.dlq_dir, self.variant, self.max_retries))
        source = child_ops.FileSource(str(self.source_dir))
        outcomes = [worker.process_one(source) for _ in [*self.batches, *self.invalid]]
        return [str(o) for o in outcomes if o is not None]

    def replay_all(self) -> list[str]:
        dlq = Dlq(self.dlq_dir, self.variant, self.max_retries)
        stored: list[str] = []
        for _ in range(self.max_retries + 1):
            if not dlq.pending():
                break
            stored += replay(self.conn, dlq).stored
        return stored

    def migrate_here(self) -> list[int]:
        return migrate.upgrade(self.conn, self.variant)

    def pending(self) -> list[str]:
        return sorted(p.name for p in self.dlq_dir.glob("*.json") if p.is_file())

    def state(self, tenants: Sequence[str] = ()) -> dict[str, Any]:
        """The evidence: rows, DLQ files, acknowledgements, the schema (for the cases that
        change it) and, for ``tenants``, what the read API shows each of them."""
        reads = {t: read_view(self.conn, t, self.variant) for t in tenants}
        tables = trcdb.snapshot(self.conn) if self.reclone else trcdb.tables(self.conn)
        return {
            "fed": [b.to_dict() for b in self.all_batches],
            "reads": reads,
            **tables,
            "dlq": dlq_state(self.dlq_dir),
            "acked": [*child_ops.acked(self.source_dir), *(b.batch_id for b in self.dead_lettered)],
            "rejected": child_ops.rejected(self.source_dir),
        }


def read_view(conn: psycopg.Connection, tenant: str, variant: Variant) -> dict[str, list[Any]]:
    """Every row ``read_tenant`` returns for ``tenant``, flattened, as plain data."""
    views = read_tenant(conn, tenant, variant)
    return {
        "traces": [vars(v.trace) for v in views],
        "spans": [vars(s) for v in views for s in v.spans],
        "logs": [vars(lg) for v in views for lg in v.logs],
    }


def dlq_state(directory: Path) -> dict[str, Any]:
    """Every file in the DLQ, the batch each pending one holds (read as plain JSON: the
    check does not trust the code under test's decoder), and what was moved aside."""
    pending = []
    for path in sorted(directory.glob("*.json")):
        try:
            body = json.loads(path.read_bytes())["batch"]
        except (ValueError, KeyError, TypeError):
            body = None
        pending.append({"name": path.name, "size": path.stat().st_size, "batch": body})
    return {
        "pending": pending,
        "set_aside": _names(directory / "set-aside"),
        "evicted": _names(directory / "evicted"),
        "temp": sorted(p.name for p in directory.glob(".*.tmp")),
    }


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []

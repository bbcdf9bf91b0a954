"""Operations the scenarios run in child processes (module level: they travel pickled)."""

from __future__ import annotations

import contextlib
import random
import shutil
import threading
from pathlib import Path
from typing import Any

import apsw

from harness.crashpoints import crashpoint
from reference_impl.cns import ConsensusStore, RetriesExhausted, StoreConfig, open_store
from scenarios.cns import data, files


class Recorded:
    """An injected sleep that records and returns at once (no real time passes)."""

    def __init__(self) -> None:
        self.slept_s: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept_s.append(seconds)


class Extremes(random.Random):
    """A jitter source at the two ends of its range in turn (lowest, highest, lowest, ...): the
    waits it gives lie on both edges of the stated band, where a shifted one falls outside."""

    def __init__(self) -> None:
        super().__init__(0)
        self._draws = 0

    def random(self) -> float:
        self._draws += 1
        return 0.0 if self._draws % 2 else 1.0 - 2.0**-53


def config(seed: int = 0, rng: random.Random | None = None, **kw: Any) -> StoreConfig:
    return StoreConfig(sleep=Recorded(), rng=rng or random.Random(seed), **kw)


def open_close(variant: str, path: str) -> int:
    """A process starting up: open (migrations run), close."""
    with open_store(variant, path, config()) as store:
        return store.schema_version()


def migrate_all(variant: str, path: str) -> dict[str, Any]:
    """Start up and run the data migration (CNS-2 concurrent, CNS-3): the version reached and
    the migrations this start-up applied."""
    with open_store(variant, path, config()) as store:
        store.migrate_data()
        return {"version": store.schema_version(), "applied": list(store.migrated)}


def start_beside_a_writer(variant: str, path: str) -> int:
    """Start a store on a file already started while another connection holds the write lock,
    with no busy wait: a start with nothing to migrate must not need the lock."""
    writer = apsw.Connection(path)
    try:
        writer.execute("BEGIN IMMEDIATE")
        with open_store(variant, path, config(busy_timeout_ms=0)) as store:
            return store.schema_version()
    finally:
        writer.close()


def store_runs(variant: str, path: str, first: int, count: int) -> int:
    with open_store(variant, path, config()) as store:
        for n in range(first, first + count):
            store.store_run(data.run(n))
    return count


def agents_lifecycle(variant: str, path: str, shown: str) -> dict[str, str]:
    """Spawn two agents and complete one; every change the memory shows goes to ``shown``
    (the screen: appended and flushed, so it outlives a SIGKILL as a TUI's output would)."""
    screen = open(shown, "a", buffering=1)  # noqa: SIM115 (lives as long as the process)

    def listener(agent_id: str, status: str) -> None:
        screen.write(f"{agent_id} {status}\n")
        screen.flush()

    with open_store(variant, path, config(), listener=listener) as store:
        store.record_agent_spawn("a1", "SPEC-1", "plan", "gemini", "2025-11-13T10:00:00Z")
        store.record_agent_spawn("a2", "SPEC-1", "plan", "claude", "2025-11-13T10:00:00Z")
        store.record_agent_completion("a1", "done", "2025-11-13T10:01:00Z")
        return store.agents.snapshot()


def restart_state(variant: str, path: str) -> dict[str, str]:
    with open_store(variant, path, config()) as store:
        return store.agents.snapshot()


def old_reader(path: str) -> None:
    """The seed's current binary reading the file (a rolling upgrade): holds a read lock."""
    conn = apsw.Connection(path)
    conn.execute("PRAGMA busy_timeout = 60000")
    conn.execute("BEGIN")
    conn.execute("SELECT COUNT(*) FROM consensus_artifacts").fetchall()
    crashpoint("cns.reader.holding")
    conn.execute("COMMIT")
    conn.close()


def _error_name(fn: Any) -> str | None:
    try:
        fn()
    except Exception as exc:
        return type(exc).__name__
    return None


def pool_under_a_writer(variant: str, path: str) -> dict[str, Any]:
    """Start (migrating the file), then with one connection holding the write lock take nine
    more: the pool grows to ten, each one reads; an eleventh waits its 0.2 s and is refused.
    Then a caller leaves a transaction open on a connection it gives back: the next write
    must still go through. Returns what each step saw."""
    with open_store(variant, path, config(pool_wait_s=0.2)) as store:
        writer = store.connection()
        conn = writer.__enter__()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM consensus_artifacts")
        held, reads = [], 0
        for _ in range(9):
            cm = store.connection()
            try:
                c = cm.__enter__()
            except Exception:
                break
            held.append(cm)
            reads += c.execute("SELECT COUNT(*) >= 0 FROM consensus_artifacts").fetchone()[0]
        pragmas = store.pragma_values()
        eleventh = _error_name(lambda: store.connection().__enter__())
        for cm in held:
            cm.__exit__(None, None, None)
        conn.execute("ROLLBACK")
        writer.__exit__(None, None, None)
        store.read(lambda c: c.execute("BEGIN IMMEDIATE"))  # given back inside a transaction
        after = _error_name(
            lambda: store.transact(lambda c: c.execute("DELETE FROM consensus_synthesis"))
        )
        return {
            "pragmas": pragmas,
            "connections": len(held) + 1,
            "reads": reads,
            "eleventh": eleventh,
            "write_after_open_transaction": after or "ok",
        }


def pragmas_and_pool(variant: str, path: str) -> dict[str, Any]:
    """Pragmas on three connections held at once, and whether a reader thread got through
    while a writer thread held the write lock (bounded wait: 1 s for a connection)."""
    with open_store(variant, path, config(pool_wait_s=1.0)) as store:
        held = [store.connection() for _ in range(3 if variant != "prefix" else 1)]
        for cm in held:
            cm.__enter__()
        values = store.pragma_values()
        for cm in held:
            cm.__exit__(None, None, None)
        outcome: dict[str, Any] = {}
        with store.connection() as writer:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("DELETE FROM consensus_artifacts")

            def reader() -> None:
                try:
                    outcome["rows"] = store.read(
                        lambda c: c.execute("SELECT COUNT(*) FROM consensus_artifacts").fetchone()[
                            0
                        ]
                    )
                except Exception as exc:
                    outcome["error"] = f"{type(exc).__name__}: {exc}"

            t = threading.Thread(target=reader)
            t.start()
            t.join(10)
            writer.execute("ROLLBACK")
        return {"pragmas": values, "reader": outcome}


def delete_and_vacuum(variant: str, path: str) -> dict[str, int]:
    with open_store(variant, path, config()) as store:
        store.delete_spec("SPEC-0")  # 7/8 of the rows; SPEC-7 is kept
        stats = store.vacuum()
    return {"freelist_before": stats.freelist_before, "freelist_after": stats.freelist_after}


# --- competing writers (CNS-6) ---------------------------------------------------------


def competitor(path: str) -> None:
    """Another process writing: takes the write lock, holds it at a point, commits."""
    conn = apsw.Connection(path)
    conn.execute("PRAGMA busy_timeout = 60000")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO consensus_synthesis(spec_id, stage, output_markdown, status,"
        " artifacts_count, created_at) VALUES ('OTHER', 'plan', '', 'ok', 0, 't')"
    )
    crashpoint("cns.competitor.holding")
    conn.execute("COMMIT")
    conn.close()


def _attempts(store: ConsensusStore, before: object = None) -> list[dict[str, Any]]:
    """The attempts the store's retry helper recorded for its last write (the prefix has no
    helper: one attempt, as it makes)."""
    log = store.last_retry
    if log is None or log is before:
        return [{"number": 1, "error": None, "kind": None, "delay_ms": None}]
    return log.to_json()


def _stale_snapshot(store: ConsensusStore, path: str) -> list[dict[str, Any]]:
    """A DEFERRED read-then-write whose snapshot another connection's commit replaces between
    the read and the write (first attempt only): SQLITE_BUSY_SNAPSHOT, in this process."""
    other = apsw.Connection(path)
    tries = []

    def work(conn: apsw.Connection) -> None:
        conn.execute("SELECT COUNT(*) FROM consensus_synthesis").fetchall()
        if not tries:
            other.execute(
                "INSERT INTO consensus_synthesis(spec_id, stage, output_markdown, status,"
                " artifacts_count, created_at) VALUES ('OTHER', 'x', '', 'ok', 0, 't')"
            )
        tries.append(1)
        conn.execute(
            "INSERT INTO consensus_synthesis(spec_id, stage, output_markdown, status,"
            " artifacts_count, created_at) VALUES ('S', 'x', '', 'ok', 0, 't')"
        )

    try:
        store.transact(work, mode="deferred", name="stale")
    finally:
        other.close()
    return _attempts(store)


def spawn_with_retry(variant: str, path: str, seed: int, extremes: bool = False) -> dict[str, Any]:
    """One write under contention, SQLITE_BUSY at once (busy_timeout 0): the retry helper
    handles it (``outcome`` RetriesExhausted if it gave up). Then, if it went through: a
    permanent error (the same agent id again), a refusal of the store's own (completing an
    agent never spawned) and a stale snapshot. Returns the attempts the helper recorded for
    each and what the injected sleep slept. ``extremes``: the jitter at both ends in turn."""
    rng = Extremes() if extremes else None
    cfg = config(seed, rng=rng, busy_timeout_ms=0)
    with open_store(variant, path, cfg) as store:
        outcome = "ok"
        try:
            store.record_agent_spawn("a1", "SPEC-1", "plan", "gemini", "2025-11-13T10:00:00Z")
        except RetriesExhausted:
            outcome = "RetriesExhausted"
        log = store.last_retry
        value: dict[str, Any] = {
            "outcome": outcome,
            "attempts": _attempts(store),
            "slept_ms": [s * 1000.0 for s in cfg.sleep.slept_s],  # type: ignore[attr-defined]
        }
        if outcome != "ok":
            return value
        with contextlib.suppress(Exception):  # refused: the agent id exists
            store.record_agent_spawn("a1", "SPEC-1", "plan", "gemini", "2025-11-13T10:00:00Z")
        value["duplicate"] = _attempts(store, log)
        log = store.last_retry
        with contextlib.suppress(Exception):  # refused by the store: no such agent
            store.record_agent_completion("nobody", "done", "2025-11-13T10:01:00Z")
        value["refusal"] = _attempts(store, log)
        value["snapshot"] = _stale_snapshot(store, path)
        return value


def upsert_deferred(variant: str, path: str, seed: int) -> list[dict[str, Any]]:
    """A read-then-write in a DEFERRED transaction: a competing commit between the read and
    the write makes the write fail with SQLITE_BUSY_SNAPSHOT."""

    def work(conn: apsw.Connection) -> int:
        (n,) = conn.execute("SELECT COUNT(*) FROM consensus_synthesis").fetchone()
        crashpoint("cns.upsert.after_read")
        conn.execute(
            "INSERT INTO consensus_synthesis(spec_id, stage, output_markdown, status,"
            " artifacts_count, created_at) VALUES ('S', 'plan', '', 'ok', ?, 't')",
            (n,),
        )
        return int(n)

    with open_store(variant, path, config(seed, busy_timeout_ms=0)) as store:
        store.transact(work, mode="deferred", name="upsert")
        log = store.last_retry
        return log.to_json() if log is not None else []


def prepare(variant: str, path: str, runs: tuple[Any, ...] = ()) -> None:
    """A migrated store file for ``variant`` holding ``runs`` (in the parent, unfaulted)."""
    data.reset_to(None, Path(path))
    with open_store(variant, path, config()) as store:
        for run in runs:
            store.store_run(run)


def validate_twice(variant: str, path: str) -> dict[str, Any]:
    """The store's own validator on the file, then on a copy with one mismatch of each kind
    written into it (``files.tamper``)."""
    copy = Path(path + ".tampered")
    with open_store(variant, path, config()) as store:
        clean = store.validate().to_json()
    data.reset_to(None, copy)
    shutil.copyfile(path, copy)
    files.tamper(copy)
    with open_store(variant, str(copy), config()) as store:
        tampered = store.validate().to_json()
    return {"clean": clean, "tampered": tampered}


def rerun(variant: str, path: str) -> dict[str, str]:
    """Start up once more on a file already started: what it changed (digests of the file)."""
    from scenarios.cns.files import digest

    before = digest(Path(path))
    open_close(variant, path)
    return {"before": before, "after": digest(Path(path))}

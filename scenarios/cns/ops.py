"""Operations the scenarios run in child processes (module level: they travel pickled)."""

from __future__ import annotations

import contextlib
import random
import threading
from pathlib import Path
from typing import Any

import apsw

from harness.crashpoints import crashpoint
from reference_impl.cns import StoreConfig, open_store
from scenarios.cns import data


class Recorded:
    """An injected sleep that records and returns at once (no real time passes)."""

    def __init__(self) -> None:
        self.slept_s: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept_s.append(seconds)


def config(seed: int = 0, **kw: Any) -> StoreConfig:
    return StoreConfig(sleep=Recorded(), rng=random.Random(seed), **kw)


def open_close(variant: str, path: str) -> int:
    """A process starting up: open (migrations run), close."""
    with open_store(variant, path, config()) as store:
        return store.schema_version()


def migrate_all(variant: str, path: str) -> int:
    """Start up and run the data migration (CNS-2 concurrent, CNS-3)."""
    with open_store(variant, path, config()) as store:
        store.migrate_data()
        return store.schema_version()


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


def spawn_with_retry(variant: str, path: str, seed: int) -> dict[str, Any]:
    """One write under contention, SQLITE_BUSY at once (busy_timeout 0): the retry helper
    handles it. Then a permanent error (the same agent id again). Returns the attempts the
    helper recorded for each (the prefix records none: it makes one attempt)."""
    with open_store(variant, path, config(seed, busy_timeout_ms=0)) as store:
        store.record_agent_spawn("a1", "SPEC-1", "plan", "gemini", "2025-11-13T10:00:00Z")
        log = store.last_retry
        attempts = (
            log.to_json()
            if log is not None
            else [{"number": 1, "error": None, "kind": None, "delay_ms": None}]
        )
        with contextlib.suppress(Exception):  # refused: the agent id exists
            store.record_agent_spawn("a1", "SPEC-1", "plan", "gemini", "2025-11-13T10:00:00Z")
        dup = store.last_retry
        return {
            "attempts": attempts,
            "duplicate_attempts": len(dup.attempts) if dup is not None and dup is not log else 1,
        }


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


def prepare(variant: str, path: str) -> None:
    """A migrated, empty store file for ``variant`` (runs in the parent, unfaulted)."""
    Path(path).unlink(missing_ok=True)
    with open_store(variant, path, config()):
        pass


def rerun(variant: str, path: str) -> dict[str, str]:
    """Start up once more on a file already started: what it changed (digests of the file)."""
    from scenarios.cns.files import digest

    before = digest(Path(path))
    open_close(variant, path)
    return {"before": before, "after": digest(Path(path))}

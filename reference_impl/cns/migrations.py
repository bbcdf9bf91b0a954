"""Schema versions in ``PRAGMA user_version``, and the three ways the variants apply them.

Reference (``run_versioned``): each migration is one ``BEGIN IMMEDIATE``
transaction that reads ``user_version`` *inside* it, runs its SQL and sets the
new version before COMMIT: killed anywhere, the file is at the old or the new
version; two processes migrating at once serialize on the write lock and the
second finds nothing to do. V3 (incremental auto-vacuum) needs a ``VACUUM``,
which cannot run in a transaction: it is idempotent (it only runs while
``auto_vacuum`` is not yet incremental) and the version is set in its own
IMMEDIATE transaction after it.

Seed (``run_seed``): "version tracking via PRAGMA user_version": the version is
read before the transaction, which is DEFERRED (rusqlite's default).
Prefix (``run_unversioned``): each statement in autocommit, the version last.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import apsw

from harness.crashpoints import crashpoint
from reference_impl.cns import schema
from reference_impl.cns.connection import user_version
from reference_impl.cns.errors import MigrationError
from reference_impl.cns.txn import Mode, in_transaction

#: Data migration, reference: lossless and rerunnable (INSERT OR IGNORE on the natural keys).
FIXED_V2_DATA = """
INSERT OR IGNORE INTO consensus_runs (spec_id, stage, run_id, started_at)
SELECT spec_id, stage, run_id, MIN(created_at) FROM (
    SELECT spec_id, stage, run_id, created_at FROM consensus_artifacts
    UNION ALL
    SELECT spec_id, stage, run_id, created_at FROM consensus_synthesis
) GROUP BY spec_id, stage, run_id;
UPDATE consensus_runs SET
    synthesis_json = (
        SELECT json_object('output_markdown', s.output_markdown, 'status', s.status,
                           'agreements', s.agreements, 'conflicts', s.conflicts,
                           'degraded', s.degraded != 0)
        FROM consensus_synthesis s
        WHERE s.spec_id = consensus_runs.spec_id AND s.stage = consensus_runs.stage
          AND s.run_id IS consensus_runs.run_id
        ORDER BY s.id DESC LIMIT 1),
    degraded = (
        SELECT s.degraded FROM consensus_synthesis s
        WHERE s.spec_id = consensus_runs.spec_id AND s.stage = consensus_runs.stage
          AND s.run_id IS consensus_runs.run_id
        ORDER BY s.id DESC LIMIT 1)
WHERE synthesis_json IS NULL;
INSERT OR IGNORE INTO agent_outputs
    (run_ref, artifact_id, agent_name, content, response_text, created_at)
SELECT cr.id, ca.id, ca.agent_name, ca.content_json, ca.response_text, ca.created_at
FROM consensus_artifacts ca
JOIN consensus_runs cr
  ON cr.spec_id = ca.spec_id AND cr.stage = ca.stage AND cr.run_id IS ca.run_id;
"""


def statements(script: str) -> list[str]:
    """Split a script of plain DDL/DML (no ';' inside literals) into statements."""
    out = []
    for part in script.split(";"):
        lines = [ln for ln in part.splitlines() if not ln.strip().startswith("--")]
        text = "\n".join(lines).strip()
        if text:
            out.append(text)
    return out


def if_not_exists(script: str) -> str:
    return re.sub(
        r"CREATE (UNIQUE )?(TABLE|INDEX) (?!IF NOT EXISTS)", r"CREATE \1\2 IF NOT EXISTS ", script
    )


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    script: str = ""
    #: Work that cannot run inside a transaction (VACUUM), run before it; must be idempotent.
    outside: Callable[[apsw.Connection], None] | None = None


def _to_incremental(conn: apsw.Connection) -> None:
    if conn.execute("PRAGMA auto_vacuum").fetchone() == (2,):
        return
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    crashpoint("cns.migrate.v3.before_vacuum")
    conn.execute("VACUUM")  # rewrites the file with pointer-map pages; atomic on its own
    crashpoint("cns.migrate.v3.after_vacuum")


def fixed_migrations() -> tuple[Migration, ...]:
    """The reference's migrations, built when asked: each script is read as the migration
    runs (so a mutation run's change to one reaches every process). The table scripts are
    read through their module (``schema.FIXED_V1``): a name imported from it is bound when
    a process first imports this module, before any mutant is chosen, so it would not run."""
    return (
        Migration(1, "v1", f"{schema.LEGACY}{schema.FIXED_V1}"),
        Migration(2, "v2", FIXED_V2_DATA),
        Migration(3, "v3", outside=_to_incremental),
    )


def fixed_latest() -> int:
    return fixed_migrations()[-1].version


FIXED_MIGRATIONS = fixed_migrations()
FIXED_LATEST = fixed_latest()


def _run_script(conn: apsw.Connection, script: str, name: str) -> None:
    for i, stmt in enumerate(statements(script), 1):
        conn.execute(stmt)
        crashpoint(f"cns.migrate.{name}.stmt{i}")


def run_versioned(conn: apsw.Connection, migrations: tuple[Migration, ...]) -> list[int]:
    """The reference: one IMMEDIATE transaction per migration, version read inside it."""
    applied = []
    for m in migrations:
        if user_version(conn) >= m.version:  # cheap pre-check; the decision is inside
            continue
        if m.outside is not None:
            m.outside(conn)

        def step(c: apsw.Connection, m: Migration = m) -> bool:
            if user_version(c) >= m.version:
                return False  # another process got here first
            _run_script(c, m.script, m.name)
            c.execute(f"PRAGMA user_version = {m.version}")
            return True

        if guarded(conn, step, "immediate", f"migrate.{m.name}"):
            applied.append(m.version)
    return applied


def run_seed(conn: apsw.Connection, migrations: tuple[Migration, ...]) -> list[int]:
    """The seed's: the version read once, before a DEFERRED transaction per migration."""
    current = user_version(conn)
    applied = []
    for m in migrations:
        if current >= m.version:
            continue

        def step(c: apsw.Connection, m: Migration = m) -> bool:
            _run_script(c, m.script, m.name)
            c.execute(f"PRAGMA user_version = {m.version}")
            return True

        guarded(conn, step, "deferred", f"migrate.{m.name}")
        applied.append(m.version)
    return applied


def run_unversioned(conn: apsw.Connection, migrations: tuple[Migration, ...]) -> list[int]:
    """Prefix: every statement in autocommit (IF NOT EXISTS), the version set last."""
    for m in migrations:
        _run_script(conn, if_not_exists(m.script), m.name)
        conn.execute(f"PRAGMA user_version = {m.version}")
        crashpoint(f"cns.migrate.{m.name}.versioned")
    return [m.version for m in migrations]


def guarded(
    conn: apsw.Connection, step: Callable[[apsw.Connection], bool], mode: Mode, name: str
) -> bool:
    try:
        return in_transaction(conn, step, mode, name)
    except (apsw.SQLError, apsw.ConstraintError) as exc:
        raise MigrationError(f"migration {name} failed and was rolled back: {exc}") from exc

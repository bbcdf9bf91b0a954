"""What the AGT oracle scenarios share: a deployment with lifetimes the scenario chooses,
and a snapshot whose times are UTC ISO strings (so expectations are plain values)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from reference_impl.agt import Deployment, ManualClock, Variants
from scenarios.agt import agtdb

T0 = agtdb.T0
#: Lifetimes chosen here, so the expected expiries are the scenario's own numbers.
REFRESH_TTL = timedelta(days=7)
ACCESS_TTL = timedelta(minutes=10)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def deployment(fix_id: str, variant: str, now: datetime = T0) -> Deployment:
    return Deployment(
        agtdb.SIGNING_KEY,
        clock=ManualClock(now),
        variants=Variants.only(fix_id, variant),
        refresh_ttl=REFRESH_TTL,
        access_ttl=ACCESS_TTL,
    )


_QUERIES = {
    "agents": "SELECT id::text AS id, hostname, last_seen_at FROM agents ORDER BY created_at, id",
    "registration_tokens": "SELECT id, used_at, used_by_agent::text AS used_by_agent,"
    " expires_at FROM registration_tokens ORDER BY id",
    "refresh_tokens": "SELECT id, agent_id::text AS agent_id, expires_at, revoked_at,"
    " last_used_at FROM refresh_tokens ORDER BY id",
    "commands": "SELECT id, status, sent_at, expires_at, retry_count FROM commands ORDER BY id",
}


def snapshot(dsn: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with agtdb.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        for table, sql in _QUERIES.items():
            out[table] = [
                {k: iso(v) if isinstance(v, datetime) else v for k, v in row.items()}
                for row in cur.execute(sql).fetchall()
            ]
    return out


AGENT = "00000000-0000-4000-8000-0000000000c2"


def seed_commands(dsn: str, rows: list[dict[str, Any]]) -> None:
    """One agent and exactly these commands (ids 1..n in order): kind, status, sent_at,
    expires_at, retry_count as given (times as datetimes, None when absent)."""
    import uuid

    with agtdb.connect(dsn) as conn:
        conn.execute(
            "DELETE FROM commands; DELETE FROM refresh_tokens; DELETE FROM agents;"
            " SELECT setval(pg_get_serial_sequence('commands', 'id'), 1, false)"
        )
        conn.execute(
            "INSERT INTO agents (id, hostname, created_at) VALUES (%s, 'h', %s)",
            (uuid.UUID(AGENT), T0 - timedelta(days=1)),
        )
        for row in rows:
            conn.execute(
                "INSERT INTO commands (agent_id, kind, payload, created_at, status, sent_at,"
                " expires_at, retry_count) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    uuid.UUID(AGENT),
                    row["kind"],
                    psycopg.types.json.Jsonb({"kind": row["kind"]}),
                    T0 - timedelta(hours=1),
                    row.get("status", "pending"),
                    row.get("sent_at"),
                    row.get("expires_at"),
                    row.get("retry_count", 0),
                ),
            )


def poll_here(dsn: str, fix_id: str, variant: str, agent: str = AGENT) -> list[list[Any]]:
    """One poll at T0 on a connection that gives up on a row lock after 2 s (a poller
    must skip a locked command, never wait for it): [kind, payload kind, retry_count]."""
    from reference_impl.agt import poll

    dep = deployment(fix_id, variant)
    with psycopg.connect(
        dsn, autocommit=True, connect_timeout=5, options="-c lock_timeout=2000"
    ) as conn:
        return [[c.kind, c.payload.get("kind"), c.retry_count] for c in poll(conn, dep, agent)]


STALE = T0 - timedelta(minutes=5)  # one lease (the deployment's 5 minutes) before T0
#: Commands of the "locked" case: the first three are share-locked by another transaction.
LOCKED_ROWS = [
    {"kind": "locked-pending"},
    {"kind": "locked-stuck", "status": "sent", "sent_at": STALE},
    {"kind": "locked-exhausted", "status": "sent", "sent_at": STALE, "retry_count": 5},
    {"kind": "free-pending"},
    {"kind": "free-stuck", "status": "sent", "sent_at": STALE},
]
#: What one poll delivers around them: the free ones only, without waiting.
LOCKED_DELIVERED = [["free-pending", "free-pending", 0], ["free-stuck", "free-stuck", 1]]


def poll_around_locks(dsn: str, poll: Any) -> Any:
    """Seed ``LOCKED_ROWS``, share-lock the first three in another open transaction, and
    poll (a poller that waits on them hits its 2 s lock timeout: an error, not a pass)."""
    seed_commands(dsn, LOCKED_ROWS)
    with psycopg.connect(dsn, autocommit=True) as other, other.transaction():
        other.execute("SELECT 1 FROM commands WHERE kind LIKE 'locked-%' FOR SHARE")
        return poll()


def locked_checks(check: Any) -> list[Any]:
    """The locked case's checks: the free commands delivered, the locked ones untouched,
    the agent marked seen at the poll's time."""
    cmd = {"table": "commands"}
    return [
        check("agt.step_is", process="poll", want="ok", value=LOCKED_DELIVERED),
        check("agt.row_is", **cmd, match={"id": 1}, want={"status": "pending", "sent_at": None}),
        check("agt.row_is", **cmd, match={"id": 2}, want={"status": "sent", "retry_count": 0}),
        check("agt.row_is", **cmd, match={"id": 3}, want={"status": "sent", "retry_count": 5}),
        check("agt.row_is", table="agents", match={"id": AGENT}, want={"last_seen_at": iso(T0)}),
    ]

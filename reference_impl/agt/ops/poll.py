"""Deliver an agent's commands (AGT-2, AGT-3).

Fixed (AGT-2): in one transaction, lock the pending (unexpired) and the stuck
commands ``FOR UPDATE SKIP LOCKED`` and mark them sent, so concurrent pollers
never share a command and a poller killed before COMMIT leaves them pending.
Pre-fix: a plain SELECT, then an UPDATE per batch, each in autocommit.

Fixed (AGT-3): a re-delivery raises ``retry_count``; a stuck command that has
used its ``max_retries`` re-deliveries is marked failed instead. Pre-fix (the
seed's own "fixed" code, DEV-029): the filter ``retry_count < 5`` is there but
nothing raises the counter, so a never-acknowledged command comes back forever.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.agt import validate
from reference_impl.agt.config import Deployment
from reference_impl.agt.errors import UnknownAgent


@dataclass(frozen=True)
class Command:
    id: int
    kind: str
    payload: dict[str, Any]
    retry_count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "payload": self.payload,
            "retry_count": self.retry_count,
        }


_PENDING = (
    "SELECT id FROM commands WHERE agent_id = %(agent)s AND status = 'pending'"
    " AND (expires_at IS NULL OR expires_at > %(now)s) ORDER BY id LIMIT %(batch)s"
)
_STUCK = (
    "SELECT id FROM commands WHERE agent_id = %(agent)s AND status = 'sent'"
    " AND sent_at <= %(stale)s AND (expires_at IS NULL OR expires_at > %(now)s)"
    " AND retry_count < %(max)s ORDER BY id LIMIT %(batch)s"
)
_EXHAUSTED = (
    "UPDATE commands SET status = 'failed' WHERE id IN ("
    " SELECT id FROM commands WHERE agent_id = %(agent)s AND status = 'sent'"
    " AND sent_at <= %(stale)s AND retry_count >= %(max)s FOR UPDATE SKIP LOCKED)"
)
_MARK = (
    "UPDATE commands SET status = 'sent', sent_at = %(now)s{bump} WHERE id = ANY(%(ids)s)"
    " RETURNING id, kind, payload, retry_count"
)


def poll(conn: psycopg.Connection, dep: Deployment, agent: str | uuid.UUID) -> list[Command]:
    agent_uuid = validate.agent_id(agent)
    now = dep.clock.now()
    args = {
        "agent": agent_uuid,
        "now": now,
        "stale": now - dep.lease,
        "max": dep.max_retries,
        "batch": dep.poll_batch,
    }
    bump = "" if dep.variants.prefix("AGT-3") else ", retry_count = retry_count + 1"
    crashpoint("agt.poll.begin")
    if dep.variants.prefix("AGT-2"):
        out = _poll_prefix(conn, dep, args, bump)
    else:
        out = _poll_fixed(conn, dep, args, bump)
    conn.execute("UPDATE agents SET last_seen_at = %s WHERE id = %s", (now, agent_uuid))
    crashpoint("agt.poll.after_seen")
    return out


def _poll_fixed(
    conn: psycopg.Connection, dep: Deployment, args: dict[str, Any], bump: str
) -> list[Command]:
    with conn.transaction():
        _require_agent(conn, args["agent"])
        pending = _ids(conn.execute(_PENDING + " FOR UPDATE SKIP LOCKED", args))
        crashpoint("agt.poll.after_select_pending")
        stuck = _ids(conn.execute(_STUCK + " FOR UPDATE SKIP LOCKED", args))
        crashpoint("agt.poll.after_select_stuck")
        if not dep.variants.prefix("AGT-3"):
            conn.execute(_EXHAUSTED, args)
            crashpoint("agt.poll.after_fail_exhausted")
        out = _mark(conn, pending, "", args) + _mark(conn, stuck, bump, args)
        crashpoint("agt.poll.after_mark_sent")
        crashpoint("agt.poll.before_commit")
    crashpoint("agt.poll.after_commit")
    return sorted(out, key=lambda c: c.id)


def _poll_prefix(
    conn: psycopg.Connection, dep: Deployment, args: dict[str, Any], bump: str
) -> list[Command]:
    _require_agent(conn, args["agent"])
    pending = _ids(conn.execute(_PENDING, args))
    crashpoint("agt.poll.after_select_pending")
    stuck = _ids(conn.execute(_STUCK, args))
    crashpoint("agt.poll.after_select_stuck")
    if not dep.variants.prefix("AGT-3"):
        conn.execute(_EXHAUSTED, args)
    out = _mark(conn, pending, "", args)
    crashpoint("agt.poll.after_mark_pending")
    out += _mark(conn, stuck, bump, args)
    crashpoint("agt.poll.after_mark_sent")
    return sorted(out, key=lambda c: c.id)


def _mark(
    conn: psycopg.Connection, ids: list[int], bump: str, args: dict[str, Any]
) -> list[Command]:
    if not ids:
        return []
    rows = conn.execute(_MARK.format(bump=bump), {**args, "ids": ids}).fetchall()
    return [Command(int(r[0]), str(r[1]), dict(r[2]), int(r[3])) for r in rows]


def _ids(cur: psycopg.Cursor[Any]) -> list[int]:
    return [int(r[0]) for r in cur.fetchall()]


def _require_agent(conn: psycopg.Connection, agent: uuid.UUID) -> None:
    if conn.execute("SELECT 1 FROM agents WHERE id = %s", (agent,)).fetchone() is None:
        raise UnknownAgent(f"no agent {agent}")

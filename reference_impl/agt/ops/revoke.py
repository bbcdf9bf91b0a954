"""Revoke an agent's refresh tokens (an operator action, and AGT-4's racing party).

Revocation also collapses ``expires_at`` to the revocation time, so a renewal
that extends a token after it was revoked leaves a visible trace: a token both
revoked and extended (``expires_at > revoked_at``).
"""

from __future__ import annotations

import uuid

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.agt import validate
from reference_impl.agt.config import Deployment


def revoke_refresh_tokens(conn: psycopg.Connection, dep: Deployment, agent: str | uuid.UUID) -> int:
    agent_uuid = validate.agent_id(agent)
    now = dep.clock.now()
    crashpoint("agt.revoke.begin")
    cur = conn.execute(
        "UPDATE refresh_tokens SET revoked_at = %s, expires_at = LEAST(expires_at, %s)"
        " WHERE agent_id = %s AND revoked_at IS NULL",
        (now, now, agent_uuid),
    )
    crashpoint("agt.revoke.after_update")
    return cur.rowcount

"""Renew access with a refresh token (AGT-4).

Fixed: validate (``SELECT ... FOR UPDATE``) and extend in one transaction, the
access token minted after COMMIT. A crash before COMMIT changes nothing (the old
token still works, a retry succeeds), and a revocation either waits for the
renewal or is seen by it: never a token both revoked and extended.
Pre-fix: validate and extend as two autocommit statements; a revocation landing
between them is overwritten by the extension.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.agt import tokens, validate
from reference_impl.agt.config import Deployment
from reference_impl.agt.errors import InvalidToken, TokenExpired


@dataclass(frozen=True)
class Renewal:
    access_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


_VALIDATE = (
    "SELECT id, agent_id, token_hash, expires_at, revoked_at FROM refresh_tokens"
    " WHERE token_hash = %s"
)
_EXTEND = "UPDATE refresh_tokens SET expires_at = %s, last_used_at = %s WHERE id = %s"


def renew(
    conn: psycopg.Connection, dep: Deployment, agent: str | uuid.UUID, refresh_token: str
) -> Renewal:
    agent_uuid = validate.agent_id(agent)
    tokens.check_shape("refresh", refresh_token)
    now = dep.clock.now()
    new_expiry = now + dep.refresh_ttl
    crashpoint("agt.renew.begin")
    if dep.variants.prefix("AGT-4"):
        row = conn.execute(_VALIDATE, (tokens.token_hash(refresh_token),)).fetchone()
        crashpoint("agt.renew.after_validate")
        token_id = _check(row, agent_uuid, refresh_token, now)
        conn.execute(_EXTEND, (new_expiry, now, token_id))
        crashpoint("agt.renew.after_extend")
    else:
        with conn.transaction():
            row = conn.execute(
                _VALIDATE + " FOR UPDATE", (tokens.token_hash(refresh_token),)
            ).fetchone()
            crashpoint("agt.renew.after_validate")
            token_id = _check(row, agent_uuid, refresh_token, now)
            conn.execute(_EXTEND, (new_expiry, now, token_id))
            crashpoint("agt.renew.after_extend")
            crashpoint("agt.renew.before_commit")
        crashpoint("agt.renew.after_commit")
    conn.execute("UPDATE agents SET last_seen_at = %s WHERE id = %s", (now, agent_uuid))
    access_expiry = now + dep.access_ttl
    out = Renewal(
        tokens.mint_access_token(dep.signing_key, str(agent_uuid), access_expiry),
        access_expiry,
        new_expiry,
    )
    crashpoint("agt.renew.after_mint")
    return out


def _check(row: tuple | None, agent: uuid.UUID, presented: str, now: datetime) -> int:
    if row is None or not tokens.same_hash(row[2], presented) or row[1] != agent:
        raise InvalidToken("refresh token unknown or not this agent's")
    if row[4] is not None:
        raise InvalidToken("refresh token revoked; register again")
    if row[3] <= now:
        raise TokenExpired("refresh token expired; register again")
    return int(row[0])

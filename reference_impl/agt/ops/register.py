"""Register an agent with a single-use registration token (AGT-1, AGT-9).

Fixed (AGT-1): create the agent, consume the token (a conditional UPDATE, so of
two concurrent registrants exactly one matches) and create its refresh token in
one transaction; the access token is minted only after COMMIT.
Pre-fix: the same three writes as separate statements, undone on error by a
manual compensating DELETE, which a crash or a cut link never runs.

Fixed (AGT-9): the agent sends the hash of a secret it generated; it is
committed with the consumption. If the response is lost after COMMIT, the agent
retries with the same token and secret and gets the same agent id and fresh
tokens. Any other use of a consumed token is refused, so single use holds.
Pre-fix (the seed's "known limitation"): a consumed token is refused outright.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

import psycopg

from harness.crashpoints import crashpoint
from reference_impl.agt import tokens, validate
from reference_impl.agt.config import Deployment
from reference_impl.agt.errors import InvalidToken, TokenExpired


@dataclass(frozen=True)
class Registration:
    agent_id: str
    refresh_token: str
    access_token: str
    access_expires_at: datetime
    recovered: bool = False  # True: an AGT-9 recovery of a registration whose reply was lost


class _Refused(Exception):
    """Internal: roll the transaction back, then explain why."""


def register(
    conn: psycopg.Connection,
    dep: Deployment,
    registration_token: str,
    hostname: str,
    agent_secret: str,
) -> Registration:
    tokens.check_shape("registration", registration_token)
    tokens.check_shape("agent_secret", agent_secret)
    validate.hostname(hostname)
    if dep.variants.prefix("AGT-1"):
        return _register_prefix(conn, dep, registration_token, hostname, agent_secret)
    try:
        return _register_fixed(conn, dep, registration_token, hostname, agent_secret)
    except _Refused:
        pass
    if dep.variants.prefix("AGT-9"):
        _explain_refusal(conn, dep, registration_token)
    try:
        return _recover(conn, dep, registration_token, agent_secret)
    except _Refused:
        _explain_refusal(conn, dep, registration_token)


def _register_fixed(
    conn: psycopg.Connection, dep: Deployment, reg: str, hostname: str, secret: str
) -> Registration:
    agent_id, refresh, now = uuid.uuid4(), tokens.new_token("refresh"), dep.clock.now()
    crashpoint("agt.register.begin")
    with conn.transaction():
        conn.execute(
            "INSERT INTO agents (id, hostname, created_at) VALUES (%s, %s, %s)",
            (agent_id, hostname, now),
        )
        crashpoint("agt.register.after_agent")
        consumed = conn.execute(
            "UPDATE registration_tokens SET used_at = %s, used_by_agent = %s, agent_proof_hash = %s"
            " WHERE token_hash = %s AND used_at IS NULL AND expires_at > %s RETURNING id",
            (now, agent_id, tokens.token_hash(secret), tokens.token_hash(reg), now),
        ).fetchone()
        crashpoint("agt.register.after_consume")
        if consumed is None:
            raise _Refused
        _insert_refresh(conn, dep, agent_id, refresh, now)
        crashpoint("agt.register.after_refresh")
        crashpoint("agt.register.before_commit")
    crashpoint("agt.register.after_commit")
    out = _issue(dep, agent_id, refresh, recovered=False)
    crashpoint("agt.register.after_mint")
    return out


def _register_prefix(
    conn: psycopg.Connection, dep: Deployment, reg: str, hostname: str, secret: str
) -> Registration:
    agent_id, refresh, now = uuid.uuid4(), tokens.new_token("refresh"), dep.clock.now()
    crashpoint("agt.register.begin")
    row = conn.execute(
        "SELECT id FROM registration_tokens WHERE token_hash = %s AND used_at IS NULL"
        " AND expires_at > %s",
        (tokens.token_hash(reg), now),
    ).fetchone()
    crashpoint("agt.register.after_validate")
    if row is None:
        _explain_refusal(conn, dep, reg)
    conn.execute(
        "INSERT INTO agents (id, hostname, created_at) VALUES (%s, %s, %s)",
        (agent_id, hostname, now),
    )
    crashpoint("agt.register.after_agent")
    try:
        conn.execute(
            "UPDATE registration_tokens SET used_at = %s, used_by_agent = %s, agent_proof_hash = %s"
            " WHERE id = %s",
            (now, agent_id, tokens.token_hash(secret), row[0]),
        )
        crashpoint("agt.register.after_consume")
        _insert_refresh(conn, dep, agent_id, refresh, now)
        crashpoint("agt.register.after_refresh")
    except Exception:
        conn.execute("DELETE FROM agents WHERE id = %s", (agent_id,))  # compensate by hand
        raise
    out = _issue(dep, agent_id, refresh, recovered=False)
    crashpoint("agt.register.after_mint")
    return out


def _recover(conn: psycopg.Connection, dep: Deployment, reg: str, secret: str) -> Registration:
    """AGT-9: the same agent, proven by its secret, asks again for the reply it lost."""
    refresh, now = tokens.new_token("refresh"), dep.clock.now()
    crashpoint("agt.recover.begin")
    with conn.transaction():
        row = conn.execute(
            "SELECT t.used_by_agent, t.agent_proof_hash, t.used_at, a.last_seen_at"
            " FROM registration_tokens t LEFT JOIN agents a ON a.id = t.used_by_agent"
            " WHERE t.token_hash = %s FOR UPDATE OF t",
            (tokens.token_hash(reg),),
        ).fetchone()
        crashpoint("agt.recover.after_lock")
        if row is None or row[2] is None:
            raise _Refused  # unknown or unused (expired): nothing to recover
        agent_id, proof, used_at, last_seen = row
        if agent_id is None or proof is None:
            raise InvalidToken("registration token already used")
        if not tokens.same_hash(proof, secret):
            raise InvalidToken("registration token already used")
        if last_seen is not None or now - used_at > dep.registration_recovery:
            # The agent has used its credentials (or the window closed): nothing was lost.
            raise InvalidToken("registration token already used; the agent is registered")
        # The lost reply's refresh token was never seen by anyone: retire it.
        conn.execute(
            "UPDATE refresh_tokens SET revoked_at = %s, expires_at = LEAST(expires_at, %s)"
            " WHERE agent_id = %s AND revoked_at IS NULL",
            (now, now, agent_id),
        )
        crashpoint("agt.recover.after_revoke")
        _insert_refresh(conn, dep, agent_id, refresh, now)
        crashpoint("agt.recover.before_commit")
    crashpoint("agt.recover.after_commit")
    out = _issue(dep, agent_id, refresh, recovered=True)
    crashpoint("agt.recover.after_mint")
    return out


def _explain_refusal(conn: psycopg.Connection, dep: Deployment, reg: str) -> NoReturn:
    row = conn.execute(
        "SELECT used_at, expires_at FROM registration_tokens WHERE token_hash = %s",
        (tokens.token_hash(reg),),
    ).fetchone()
    if row is None:
        raise InvalidToken("registration token unknown")
    if row[0] is not None:
        raise InvalidToken("registration token already used")
    if row[1] <= dep.clock.now():
        raise TokenExpired("registration token expired; ask the operator for a new one")
    raise InvalidToken("registration token was consumed concurrently")


def _insert_refresh(
    conn: psycopg.Connection, dep: Deployment, agent_id: uuid.UUID, refresh: str, now: datetime
) -> None:
    conn.execute(
        "INSERT INTO refresh_tokens (agent_id, token_hash, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s)",
        (agent_id, tokens.token_hash(refresh), now, now + dep.refresh_ttl),
    )


def _issue(dep: Deployment, agent_id: uuid.UUID, refresh: str, *, recovered: bool) -> Registration:
    expires = dep.clock.now() + dep.access_ttl
    access = tokens.mint_access_token(dep.signing_key, str(agent_id), expires)
    return Registration(str(agent_id), refresh, access, expires, recovered)

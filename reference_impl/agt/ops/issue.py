"""Operator actions that set up a scenario: issue a registration token, enqueue a command."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from reference_impl.agt import tokens, validate
from reference_impl.agt.config import Deployment
from reference_impl.agt.errors import InvalidArgument, UnknownAgent


def issue_registration_token(
    conn: psycopg.Connection, dep: Deployment, ttl_s: float = 86400.0
) -> str:
    ttl = validate.seconds("ttl_s", ttl_s, allow_zero=False)
    token = tokens.new_token("registration")
    now = dep.clock.now()
    conn.execute(
        "INSERT INTO registration_tokens (token_hash, created_at, expires_at) VALUES (%s, %s, %s)",
        (tokens.token_hash(token), now, now + timedelta(seconds=ttl)),
    )
    return token


def enqueue_command(
    conn: psycopg.Connection,
    dep: Deployment,
    agent: str | uuid.UUID,
    kind: str,
    payload: dict[str, Any] | None = None,
    ttl_s: float | None = None,
) -> int:
    agent_uuid = validate.agent_id(agent)
    if not isinstance(kind, str) or not kind:
        raise InvalidArgument("command kind must be a non-empty string")
    now = dep.clock.now()
    expires = None if ttl_s is None else now + timedelta(seconds=validate.seconds("ttl_s", ttl_s))
    try:
        row = conn.execute(
            "INSERT INTO commands (agent_id, kind, payload, created_at, expires_at)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (agent_uuid, kind, Jsonb(payload or {}), now, expires),
        ).fetchone()
    except psycopg.errors.ForeignKeyViolation:
        raise UnknownAgent(f"no agent {agent_uuid}") from None
    assert row is not None
    return int(row[0])

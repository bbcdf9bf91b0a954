"""Acknowledge a delivered command: ``sent`` becomes ``acknowledged`` (or ``failed``)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from harness.crashpoints import crashpoint
from reference_impl.agt import validate
from reference_impl.agt.config import Deployment
from reference_impl.agt.errors import UnknownCommand


def acknowledge(
    conn: psycopg.Connection,
    dep: Deployment,
    agent: str | uuid.UUID,
    command: int,
    result: dict[str, Any] | None = None,
    *,
    succeeded: bool = True,
) -> None:
    agent_uuid, command_id = validate.agent_id(agent), validate.command_id(command)
    status = "acknowledged" if succeeded else "failed"
    crashpoint("agt.ack.begin")
    row = conn.execute(
        "UPDATE commands SET status = %s, acknowledged_at = %s, result = %s"
        " WHERE id = %s AND agent_id = %s AND status = 'sent' RETURNING id",
        (status, dep.clock.now(), Jsonb(result or {}), command_id, agent_uuid),
    ).fetchone()
    crashpoint("agt.ack.after_update")
    if row is None:
        found = conn.execute(
            "SELECT status FROM commands WHERE id = %s AND agent_id = %s", (command_id, agent_uuid)
        ).fetchone()
        if found is None:
            raise UnknownCommand(f"agent {agent_uuid} has no command {command_id}")
        raise UnknownCommand(f"command {command_id} is {found[0]}, not awaiting acknowledgement")

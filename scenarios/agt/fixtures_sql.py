"""Known rows for race scenarios: every schedule starts from exactly the same state.

Schedules re-use one database (reset between runs, cheaper than a clone), so the
workers, built once, can name fixed ids and tokens.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from reference_impl.agt import tokens
from scenarios.agt import agtdb

AGENT = "00000000-0000-4000-8000-00000000a9e7"
REG_TOKEN = "agtreg_" + "R" * 43
REFRESH = "agtref_" + "F" * 43
SECRETS = {name: "agtsec_" + (name.upper() * 43)[:43] for name in ("a", "b")}


# DELETE, children first, and the id sequences back to 1, in one transaction: what
# TRUNCATE ... RESTART IDENTITY did, at a tenth of its cost on these few rows (TRUNCATE
# swaps every table's and index's files). Dead rows are autovacuum's.
_RESET = "; ".join(
    [
        "BEGIN",
        "DELETE FROM commands",
        "DELETE FROM refresh_tokens",
        "DELETE FROM registration_tokens",
        "DELETE FROM agents",
        "SELECT "
        + ", ".join(
            f"setval(pg_get_serial_sequence('{t}', 'id'), 1, false)"
            for t in ("registration_tokens", "refresh_tokens", "commands")
        ),
        "COMMIT",
    ]
)


def reset(dsn: str) -> None:
    with agtdb.connect(dsn) as conn:
        conn.execute(_RESET)


def with_registration_token(dsn: str) -> None:
    reset(dsn)
    with agtdb.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO registration_tokens (token_hash, created_at, expires_at) VALUES (%s, %s, %s)",
            (tokens.token_hash(REG_TOKEN), agtdb.T0, agtdb.T0 + timedelta(days=1)),
        )


def with_agent(dsn: str) -> None:
    reset(dsn)
    with agtdb.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO agents (id, hostname, created_at) VALUES (%s, 'agent-0', %s)",
            (uuid.UUID(AGENT), agtdb.T0),
        )
        conn.execute(
            "INSERT INTO refresh_tokens (agent_id, token_hash, created_at, expires_at) VALUES (%s, %s, %s, %s)",
            (uuid.UUID(AGENT), tokens.token_hash(REFRESH), agtdb.T0, agtdb.T0 + timedelta(days=90)),
        )


def with_commands(
    dsn: str,
    pending: int = 3,
    stuck: int = 0,
    expired: int = 1,
    stuck_sent_at: datetime | None = None,
) -> None:
    with_agent(dsn)
    with agtdb.connect(dsn) as conn:
        for i in range(pending + stuck + expired):
            status, sent_at, expires = "pending", None, None
            if i >= pending + stuck:
                expires = agtdb.T0 - timedelta(seconds=1)
            elif i >= pending:
                status, sent_at = "sent", stuck_sent_at or agtdb.T0
            conn.execute(
                "INSERT INTO commands (agent_id, kind, created_at, status, sent_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    uuid.UUID(AGENT),
                    f"cmd-{i}",
                    agtdb.T0 - timedelta(hours=1),
                    status,
                    sent_at,
                    expires,
                ),
            )

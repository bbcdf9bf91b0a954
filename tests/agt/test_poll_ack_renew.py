"""Poll, acknowledge, renew, revoke (AGT-2..AGT-4) against a real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from reference_impl.agt import (
    InvalidArgument,
    InvalidToken,
    TokenExpired,
    UnknownAgent,
    UnknownCommand,
    acknowledge,
    poll,
    renew,
    revoke_refresh_tokens,
    tokens,
)
from scenarios.agt import agtdb


@pytest.fixture
def setup(agt_dsn):
    dep = agtdb.deployment("AGT-2", "fixed")
    agent, refresh = agtdb.registered_agent(agt_dsn, dep)
    return agt_dsn, dep, agent, refresh


def test_poll_delivers_pending_once_and_ack_completes(setup) -> None:
    dsn, dep, agent, _ = setup
    ids = agtdb.enqueue(dsn, dep, agent, 3)
    with agtdb.connect(dsn) as conn:
        assert [c.id for c in poll(conn, dep, agent)] == ids
        assert poll(conn, dep, agent) == []
        acknowledge(conn, dep, agent, ids[0], {"exit": 0})
        with pytest.raises(UnknownCommand, match="acknowledged"):
            acknowledge(conn, dep, agent, ids[0])
        with pytest.raises(UnknownCommand, match="no command"):
            acknowledge(conn, dep, str(uuid.uuid4()), ids[1])
    assert [c["status"] for c in agtdb.snapshot(dsn)["commands"]] == [
        "acknowledged",
        "sent",
        "sent",
    ]


def test_expired_commands_are_not_delivered(setup) -> None:
    dsn, dep, agent, _ = setup
    agtdb.enqueue(dsn, dep, agent, 1, ttl_s=10)
    dep.clock.advance(11)
    with agtdb.connect(dsn) as conn:
        assert poll(conn, dep, agent) == []


def test_stuck_command_is_redelivered_at_most_max_retries_then_failed(setup) -> None:
    dsn, dep, agent, _ = setup
    agtdb.enqueue(dsn, dep, agent, 1)
    deliveries = 0
    with agtdb.connect(dsn) as conn:
        for _ in range(10):
            deliveries += len(poll(conn, dep, agent))
            dep.clock.advance(dep.lease.total_seconds() + 1)
    assert deliveries == 1 + dep.max_retries
    assert agtdb.snapshot(dsn)["commands"][0]["status"] == "failed"


def test_unknown_agent_and_malformed_ids_write_nothing(setup) -> None:
    dsn, dep, agent, _ = setup
    before = agtdb.snapshot(dsn)
    with agtdb.connect(dsn) as conn:
        with pytest.raises(UnknownAgent):
            poll(conn, dep, str(uuid.uuid4()))
        with pytest.raises(InvalidArgument):
            poll(conn, dep, "not-a-uuid")
        with pytest.raises(InvalidArgument):
            acknowledge(conn, dep, agent, -1)
        with pytest.raises(InvalidArgument):
            renew(conn, dep, agent, "agtref_bad")
    assert agtdb.snapshot(dsn) == before


def test_renew_extends_and_refuses_revoked_expired_and_foreign(setup) -> None:
    dsn, dep, agent, refresh = setup
    with agtdb.connect(dsn) as conn:
        out = renew(conn, dep, agent, refresh)
        assert (
            tokens.verify_access_token(dep.signing_key, out.access_token, dep.clock.now()).agent_id
            == agent
        )
        with pytest.raises(InvalidToken):
            renew(conn, dep, str(uuid.uuid4()), refresh)
        with pytest.raises(InvalidToken):
            renew(conn, dep, agent, tokens.new_token("refresh"))
        dep.clock.advance(dep.refresh_ttl.total_seconds() + 1)
        with pytest.raises(TokenExpired):
            renew(conn, dep, agent, refresh)
    other_agent, other_refresh = agtdb.registered_agent(dsn, dep, "agent-1")
    with agtdb.connect(dsn) as conn:
        assert revoke_refresh_tokens(conn, dep, other_agent) == 1
        with pytest.raises(InvalidToken, match="revoked"):
            renew(conn, dep, other_agent, other_refresh)


def test_access_tokens_are_signed_and_expire() -> None:
    dep = agtdb.deployment("AGT-1", "fixed")
    now = dep.clock.now()
    token = tokens.mint_access_token(dep.signing_key, "a", now + dep.access_ttl)
    assert tokens.verify_access_token(dep.signing_key, token, now).agent_id == "a"
    with pytest.raises(InvalidToken):
        tokens.verify_access_token(b"k" * 32, token, now)
    payload, sig = token.split(".")
    with pytest.raises(InvalidToken):
        tokens.verify_access_token(dep.signing_key, payload[:-2] + "xx." + sig, now)
    with pytest.raises(TokenExpired):
        tokens.verify_access_token(dep.signing_key, token, now + dep.access_ttl)
    with pytest.raises(InvalidArgument):
        tokens.verify_access_token(dep.signing_key, "no-dot", now)

"""Registration (AGT-1, AGT-9) against a real PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from reference_impl.agt import (
    Deployment,
    InvalidArgument,
    InvalidToken,
    ManualClock,
    TokenExpired,
    issue_registration_token,
    poll,
    register,
    renew,
    tokens,
)
from scenarios.agt import agtdb


def _dep(variant: str = "fixed", fix: str = "AGT-1") -> Deployment:
    return agtdb.deployment(fix, variant)


def test_register_creates_agent_consumes_token_and_issues_tokens(agt_dsn) -> None:
    dep = _dep()
    with agtdb.connect(agt_dsn) as conn:
        reg = register(
            conn, dep, issue_registration_token(conn, dep), "h", tokens.new_token("agent_secret")
        )
    claims = tokens.verify_access_token(dep.signing_key, reg.access_token, dep.clock.now())
    assert claims.agent_id == reg.agent_id
    state = agtdb.snapshot(agt_dsn)
    assert [a["id"] for a in state["agents"]] == [reg.agent_id]
    assert state["registration_tokens"][0]["used_by_agent"] == reg.agent_id
    assert [t["agent_id"] for t in state["refresh_tokens"]] == [reg.agent_id]


def test_tokens_are_stored_hashed(agt_dsn) -> None:
    dep = _dep()
    with agtdb.connect(agt_dsn) as conn:
        reg_token = issue_registration_token(conn, dep)
        reg = register(conn, dep, reg_token, "h", tokens.new_token("agent_secret"))
        stored = [
            bytes(r[0])
            for r in conn.execute(
                "SELECT token_hash FROM registration_tokens UNION ALL SELECT token_hash FROM refresh_tokens"
            )
        ]
    assert tokens.token_hash(reg_token) in stored and tokens.token_hash(reg.refresh_token) in stored
    assert all(reg_token.encode() not in s and reg.refresh_token.encode() not in s for s in stored)


def test_second_use_with_another_secret_is_refused(agt_dsn) -> None:
    dep = _dep()
    with agtdb.connect(agt_dsn) as conn:
        reg_token = issue_registration_token(conn, dep)
        register(conn, dep, reg_token, "h", tokens.new_token("agent_secret"))
        with pytest.raises(InvalidToken, match="already used"):
            register(conn, dep, reg_token, "h", tokens.new_token("agent_secret"))
    assert len(agtdb.snapshot(agt_dsn)["agents"]) == 1


def test_concurrent_registrations_with_one_token_exactly_one_wins(agt_dsn) -> None:
    dep = _dep()
    with agtdb.connect(agt_dsn) as conn:
        reg_token = issue_registration_token(conn, dep)
    barrier, results = threading.Barrier(8), list[object]()

    def attempt() -> None:
        with agtdb.connect(agt_dsn) as conn:
            barrier.wait()
            try:
                results.append(
                    register(conn, dep, reg_token, "h", tokens.new_token("agent_secret"))
                )
            except InvalidToken as exc:
                results.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    state = agtdb.snapshot(agt_dsn)
    assert len(state["agents"]) == 1 and len(state["refresh_tokens"]) == 1


def test_expired_and_unknown_tokens_are_refused(agt_dsn) -> None:
    clock = ManualClock(agtdb.T0)
    dep = Deployment(agtdb.SIGNING_KEY, clock=clock)
    with agtdb.connect(agt_dsn) as conn:
        reg_token = issue_registration_token(conn, dep, ttl_s=60)
        clock.advance(61)
        with pytest.raises(TokenExpired):
            register(conn, dep, reg_token, "h", tokens.new_token("agent_secret"))
        with pytest.raises(InvalidToken, match="unknown"):
            register(
                conn, dep, tokens.new_token("registration"), "h", tokens.new_token("agent_secret")
            )
    assert agtdb.snapshot(agt_dsn)["agents"] == []


@pytest.mark.parametrize(
    "reg_token, hostname, secret",
    [
        ("nonsense", "h", None),
        ("agtreg_short", "h", None),
        (None, "h", None),
        ("VALID", "", None),
        ("VALID", "h", "agtsec_" + "!" * 43),
    ],
)
def test_malformed_input_is_refused_and_writes_nothing(
    agt_dsn, reg_token, hostname, secret
) -> None:
    dep = _dep()
    with agtdb.connect(agt_dsn) as conn:
        valid = issue_registration_token(conn, dep)
        with pytest.raises(InvalidArgument):
            register(
                conn,
                dep,
                valid if reg_token == "VALID" else reg_token,
                hostname,
                secret or tokens.new_token("agent_secret"),
            )
    state = agtdb.snapshot(agt_dsn)
    assert state["agents"] == [] and state["registration_tokens"][0]["used_at"] is None


def test_lost_reply_is_recovered_with_the_same_token_and_secret(agt_dsn) -> None:
    dep = _dep()
    secret = tokens.new_token("agent_secret")
    with agtdb.connect(agt_dsn) as conn:
        reg_token = issue_registration_token(conn, dep)
        first = register(conn, dep, reg_token, "h", secret)
        again = register(conn, dep, reg_token, "h", secret)
        assert again.recovered and again.agent_id == first.agent_id
        with pytest.raises(InvalidToken, match="revoked"):
            renew(conn, dep, first.agent_id, first.refresh_token)
        renew(conn, dep, again.agent_id, again.refresh_token)
        with pytest.raises(InvalidToken):
            register(conn, dep, reg_token, "h", tokens.new_token("agent_secret"))
    assert len(agtdb.snapshot(agt_dsn)["agents"]) == 1


def test_recovery_ends_once_the_agent_has_checked_in(agt_dsn) -> None:
    dep = _dep()
    secret = tokens.new_token("agent_secret")
    with agtdb.connect(agt_dsn) as conn:
        reg_token = issue_registration_token(conn, dep)
        reg = register(conn, dep, reg_token, "h", secret)
        poll(conn, dep, reg.agent_id)
        with pytest.raises(InvalidToken, match="already used"):
            register(conn, dep, reg_token, "h", secret)


def test_prefix_agt9_refuses_the_lost_reply_retry(agt_dsn) -> None:
    dep = _dep("prefix", "AGT-9")
    secret = tokens.new_token("agent_secret")
    with agtdb.connect(agt_dsn) as conn:
        reg_token = issue_registration_token(conn, dep)
        register(conn, dep, reg_token, "h", secret)
        with pytest.raises(InvalidToken, match="already used"):
            register(conn, dep, reg_token, "h", secret)

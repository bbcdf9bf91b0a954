"""The rate limiter against a real Redis, the HTTP server end to end, the poll loop's timing."""

from __future__ import annotations

import random
import threading
import uuid

import pytest

from reference_impl.agt import (
    Deployment,
    InvalidArgument,
    ManualClock,
    SystemClock,
    Variants,
    issue_registration_token,
    tokens,
)
from reference_impl.agt.agent_loop import PollLoop
from reference_impl.agt.client import Client, ServerUnavailable
from reference_impl.agt.ratelimit import KEY_PREFIX, LocalLimiter, RedisLimiter
from reference_impl.agt.server import App, Server
from scenarios.agt import agtdb, http_servers


def test_redis_limiter_is_per_agent_and_slides(redis_db) -> None:
    clock = ManualClock(agtdb.T0)
    limiter = RedisLimiter(redis_db.client(), limit=3, window_s=60.0, clock=clock)
    assert [limiter.check("a").allowed for _ in range(4)] == [True, True, True, False]
    assert limiter.check("b").allowed
    clock.advance(61)
    assert limiter.check("a").allowed
    assert redis_db.client().exists(KEY_PREFIX + "a")


def test_limiters_refuse_bad_settings() -> None:
    with pytest.raises(InvalidArgument):
        LocalLimiter(0, 60.0, ManualClock())
    with pytest.raises(InvalidArgument):
        LocalLimiter(1, -1.0, ManualClock())


def test_server_registers_polls_and_acknowledges(agt_dsn) -> None:
    dep = Deployment(agtdb.SIGNING_KEY, clock=SystemClock())
    with agtdb.connect(agt_dsn) as conn:
        reg_token = issue_registration_token(conn, dep)
    with Server(App(agt_dsn, dep, LocalLimiter(100, 60.0, SystemClock()))) as server:
        client = Client(server.host, server.port)
        reply = client.register(reg_token, "host-1", tokens.new_token("agent_secret"))
        (cid,) = agtdb.enqueue(agt_dsn, dep, reply["agent_id"], 1)
        assert [c["id"] for c in client.poll()] == [cid]
        client.request(
            "POST", f"/agents/{reply['agent_id']}/commands/{cid}/ack", {"result": {"ok": 1}}
        )
        client.access_token = http_servers.access_token(str(uuid.uuid4()))
        with pytest.raises(ServerUnavailable, match="401"):
            client.poll()
        with pytest.raises(ServerUnavailable, match="400"):
            client.request("POST", "/agents/register", {"registration_token": "junk"})
    assert agtdb.snapshot(agt_dsn)["commands"][0]["status"] == "acknowledged"


def test_loop_refuses_negative_interval() -> None:
    with pytest.raises(InvalidArgument):
        PollLoop(lambda: [], ManualClock(), random.Random(0), -5.0)


def test_loop_sleeps_interval_plus_capped_jitter_on_success() -> None:
    clock = ManualClock()
    loop = PollLoop(
        lambda: [], clock, random.Random(1), 5.0, stop=threading.Event(), variants=Variants()
    )
    loop.run(max_turns=50)
    assert all(5.0 <= t.delay_s <= 7.5 and t.attempt == 0 for t in loop.ticks)

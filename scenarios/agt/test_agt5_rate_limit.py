"""AGT-5: command polling is rate limited per agent id, across server processes.

Store: Redis, shared by every server process (why: reference_impl/agt/ratelimit.py).
Policy when Redis is unreachable: fail open to a per-process limit of the same
size; agents keep their commands, each process still caps a burst.
Invariant: a burst beyond the limit is refused for that agent only; the limit
holds across processes; the outage policy holds when the store's link is cut.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from harness.checkers import Check
from harness.crash import Fail, explore_named
from harness.scenario import scenario
from reference_impl.agt.client import Client, ServerUnavailable
from scenarios.agt import agtdb, checks_agent, http_servers

FIX = "AGT-5"
SERVERS = 3
LIMIT = 5
WINDOW_S = 3600.0  # far longer than a burst: no window edge inside one
BURST = 30  # 10 per server process: beyond the limit even per process
QUIET = 3  # the other agent's polls, inside the burst
PROMPT_S = 3.0  # an answer slower than this waited on the unreachable store (its timeout is 0.25 s)
assert checks_agent  # registers the agt.* agent-side checkers


def _agents(dsn: str) -> dict[str, str]:
    dep = agtdb.deployment(FIX, "fixed")
    return {name: agtdb.registered_agent(dsn, dep, name)[0] for name in ("noisy", "quiet")}


def _burst(ctx, steps, addrs, agents: dict[str, str]) -> None:
    """Interleave the noisy agent's burst and the quiet agent's polls, round-robin over servers."""
    plan = ["noisy"] * BURST + ["quiet"] * QUIET
    ctx.rng.shuffle(plan)
    for i, who in enumerate(plan):
        server = i % len(addrs)
        client = Client(*addrs[server], timeout_s=5.0)
        client.agent_id, client.access_token = agents[who], http_servers.access_token(agents[who])

        def poll(client=client, who=who, server=server) -> dict:
            try:
                reply = client.request("GET", f"/agents/{agents[who]}/commands")
            except ServerUnavailable as exc:
                if exc.status == 429:  # refused by the limiter: certainly not served
                    raise Fail(str(exc)) from exc
                raise
            return {"server": server, "limiter": reply["limiter"]}

        steps.run(who, poll, f="poll", value={"server": server})


def _servers(ctx, dsn: str, redis_url: str):
    return http_servers.servers(
        SERVERS,
        dsn=dsn,
        variants=f"{FIX}={ctx.variant}",
        redis_url=redis_url,
        limit=LIMIT,
        window_s=WINDOW_S,
    )


@scenario(FIX, variants=("prefix", "fixed"))
def test_burst_across_servers(ctx, pg_database_factory, redis_db) -> None:
    """A burst of 30 polls over 3 server processes: exactly 5 served; another agent unaffected."""
    dsn = str(agtdb.fresh(pg_database_factory).dsn)

    def burst(steps) -> None:
        with _servers(ctx, dsn, redis_db.url) as addrs:
            _burst(ctx, steps, addrs, _agents(dsn))

    explore_named(
        ctx,
        {"burst": burst},
        checks=[Check("agt.rate_limit", limit=LIMIT, quiet=QUIET, prompt_s=PROMPT_S)],
    )
    ctx.explored(processes=SERVERS, burst=BURST, limit=LIMIT)


@scenario(FIX, variants=("prefix", "fixed"))
def test_limiter_store_unreachable(ctx, pg_database_factory, redis_db, redis_link) -> None:
    """The limiter's Redis link cut: polls still served (fail open), each process still caps
    the burst at the limit, answers stay prompt; link back: the shared limit again."""
    dsn = str(agtdb.fresh(pg_database_factory).dsn)
    url = urlsplit(redis_db.url)._replace(netloc=f"{redis_link.host}:{redis_link.port}").geturl()

    def burst_while_cut(steps) -> None:
        with _servers(ctx, dsn, url) as addrs:
            agents = _agents(dsn)
            steps.fault("cut", redis_link.cut, link="limiter store")
            try:
                _burst(ctx, steps, addrs, agents)
            finally:
                steps.fault("restore", redis_link.restore, link="limiter store")

    explore_named(
        ctx,
        {"store_link_cut": burst_while_cut},
        checks=[
            Check("agt.rate_limit", limit=LIMIT, quiet=QUIET, per_process=True, prompt_s=PROMPT_S)
        ],
    )
    ctx.explored(processes=SERVERS, faults=["cut limiter store link"], burst=BURST, limit=LIMIT)

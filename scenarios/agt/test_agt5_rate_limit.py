"""AGT-5: command polling is rate limited per agent id, across server processes.

Store: Redis, shared by every server process (why: reference_impl/agt/ratelimit.py).
Policy when Redis is unreachable: fail open to a per-process limit of the same
size; agents keep their commands, each process still caps a burst.
Invariant: a burst beyond the limit is refused for that agent only; the limit
holds across processes; the outage policy holds when the store's link is cut.
"""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import urlsplit

from harness.history import History
from harness.scenario import scenario
from harness.verdict import Verdict, compose
from reference_impl.agt.client import Client, ServerUnavailable
from scenarios.agt import agtdb, http_servers

FIX = "AGT-5"
SERVERS = 3
LIMIT = 5
WINDOW_S = 3600.0  # far longer than a burst: no window edge inside one
BURST = 30  # 10 per server process: beyond the limit even per process
QUIET = 3  # the other agent's polls, inside the burst
PROMPT_S = 3.0  # an answer slower than this waited on the unreachable store (its timeout is 0.25 s)


def _agents(dsn: str) -> dict[str, str]:
    dep = agtdb.deployment(FIX, "fixed")
    return {name: agtdb.registered_agent(dsn, dep, name)[0] for name in ("noisy", "quiet")}


def _burst(
    ctx, addrs, agents: dict[str, str], history: History
) -> list[tuple[str, int, str, float]]:
    """Interleave the noisy agent's burst and the quiet agent's polls, round-robin over servers."""
    plan = ["noisy"] * BURST + ["quiet"] * QUIET
    ctx.rng.shuffle(plan)
    out = []
    for i, who in enumerate(plan):
        server = i % len(addrs)
        host, port = addrs[server]
        client = Client(host, port, timeout_s=5.0)
        client.agent_id, client.access_token = agents[who], http_servers.access_token(agents[who])
        op = history.invoke(who, "poll", {"server": server})
        t0 = time.perf_counter()
        try:
            reply = client.request("GET", f"/agents/{agents[who]}/commands")
            history.ok(op, {"server": server, "limiter": reply["limiter"]})
            out.append((who, server, "ok:" + reply["limiter"], time.perf_counter() - t0))
        except ServerUnavailable as exc:
            (history.fail if exc.status == 429 else history.info)(op, str(exc), {"server": server})
            out.append((who, server, f"http:{exc.status}", time.perf_counter() - t0))
    return out


def _judge(results, *, per_process: bool) -> Verdict:
    ok = Counter((who, server) for who, server, status, _ in results if status.startswith("ok"))
    noisy = sum(n for (who, _), n in ok.items() if who == "noisy")
    quiet = sum(n for (who, _), n in ok.items() if who == "quiet")
    slowest = max(t for *_, t in results)
    parts = []
    if per_process:  # the stated outage policy: each process caps the agent at the limit
        over = {s: n for (who, s), n in ok.items() if who == "noisy" and n > LIMIT}
        parts.append(
            Verdict.violated(
                "limit_per_process_in_outage",
                f"servers {sorted(over)} let the noisy agent poll {over} times (limit {LIMIT} each)",
                served=dict(over),
            )
            if over
            else Verdict.ok(
                "limit_per_process_in_outage",
                f"noisy agent served {noisy} times, at most {LIMIT} per process",
            )
        )
    else:
        parts.append(
            Verdict.ok(
                "limit_across_processes", f"noisy agent served {noisy} of {BURST} (limit {LIMIT})"
            )
            if noisy == LIMIT
            else Verdict.violated(
                "limit_across_processes",
                f"noisy agent served {noisy} of {BURST} polls across {SERVERS} processes (limit {LIMIT})",
                served=noisy,
            )
        )
    parts.append(
        Verdict.ok("others_unaffected", f"quiet agent served {quiet} of {QUIET}")
        if quiet == QUIET
        else Verdict.violated(
            "others_unaffected", f"quiet agent served {quiet} of {QUIET}", served=quiet
        )
    )
    parts.append(
        Verdict.ok("prompt_answers", f"slowest answer {slowest:.2f} s")
        if slowest < PROMPT_S
        else Verdict.violated(
            "prompt_answers", f"an answer took {slowest:.2f} s", slowest_s=slowest
        )
    )
    return compose("rate_limit", parts)


@scenario(FIX, variants=("prefix", "fixed"))
def test_burst_across_servers(ctx, pg_database_factory, redis_db) -> None:
    """A burst of 30 polls over 3 server processes: exactly 5 served; another agent unaffected."""
    case = "burst"
    if ctx.selected(case):
        db = agtdb.fresh(pg_database_factory)
        agents = _agents(str(db.dsn))
        history = History()
        with http_servers.servers(
            SERVERS,
            dsn=str(db.dsn),
            variants=f"{FIX}={ctx.variant}",
            redis_url=redis_db.url,
            limit=LIMIT,
            window_s=WINDOW_S,
        ) as addrs:
            results = _burst(ctx, addrs, agents, history)
        history.snapshot("results", [list(r) for r in results])
        ctx.record(
            case,
            _judge(results, per_process=False),
            history=history,
            detail={"servers": SERVERS, "limit": LIMIT, "burst": BURST},
        )
    ctx.explored(processes=SERVERS, burst=BURST, limit=LIMIT)


@scenario(FIX, variants=("prefix", "fixed"))
def test_limiter_store_unreachable(ctx, pg_database_factory, redis_db, redis_link) -> None:
    """The limiter's Redis link cut: polls still served (fail open), each process still caps
    the burst at the limit, answers stay prompt; link back: the shared limit again."""
    case = "store_link_cut"
    if ctx.selected(case):
        db = agtdb.fresh(pg_database_factory)
        agents = _agents(str(db.dsn))
        history = History()
        url = (
            urlsplit(redis_db.url)._replace(netloc=f"{redis_link.host}:{redis_link.port}").geturl()
        )
        with http_servers.servers(
            SERVERS,
            dsn=str(db.dsn),
            variants=f"{FIX}={ctx.variant}",
            redis_url=url,
            limit=LIMIT,
            window_s=WINDOW_S,
        ) as addrs:
            redis_link.cut()
            history.fault("cut", {"link": "limiter store"})
            try:
                results = _burst(ctx, addrs, agents, history)
            finally:
                redis_link.restore()
                history.fault("restore", {"link": "limiter store"})
        history.snapshot("results", [list(r) for r in results])
        ctx.record(
            case,
            _judge(results, per_process=True),
            history=history,
            detail={"servers": SERVERS, "limit": LIMIT, "burst": BURST},
        )
    ctx.explored(processes=SERVERS, faults=["cut limiter store link"], burst=BURST, limit=LIMIT)

"""Backend speed: server start, a clean database per test, a Redis reset.

    .venv/bin/python bench/bench_backends.py [--starts 5] [--resets 100] [--wheels] [--cold]

Figures are medians (min-max in brackets), against the bars of the foundation
issue: PostgreSQL ready <= 1.5 s, Redis ready <= 0.2 s (median of 5 starts), a
clean PostgreSQL database for a test <= 10 ms, a Redis reset <= 2 ms.
``--wheels`` hides the system binaries (the fresh-machine path); ``--cold``
also times one start with an empty cache (initdb included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg

from harness.backends import Settings, get, resolve
from harness.backends.isolation import PgDatabaseFactory, RedisReset

SCHEMA = """
CREATE TABLE jobs (id bigserial PRIMARY KEY, kind text NOT NULL, payload jsonb, state text);
CREATE TABLE attempts (id bigserial PRIMARY KEY, job_id bigint REFERENCES jobs(id), at timestamptz);
CREATE TABLE outbox (id bigserial PRIMARY KEY, topic text, body text);
CREATE INDEX ON jobs (state);
"""
DIRTY = """
INSERT INTO jobs (kind, state) SELECT 'k', 'ready' FROM generate_series(1, 20);
INSERT INTO attempts (job_id) SELECT id FROM jobs;
INSERT INTO outbox (topic, body) VALUES ('t', 'b');
"""


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def figure(name: str, samples: list[float], unit: str, bar: float | None) -> None:
    scale = 1000.0 if unit == "ms" else 1.0
    med = statistics.median(samples) * scale
    lo, hi = min(samples) * scale, max(samples) * scale
    if bar is None:
        print(f"  {name:<48} {med:8.3f} {unit}  [{lo:.3f}-{hi:.3f}] n={len(samples)}  (no bar)")
        return
    verdict = "ok" if med <= bar else "OVER THE BAR"
    print(
        f"  {name:<34} {med:8.3f} {unit}  [{lo:.3f}-{hi:.3f}] n={len(samples)}  bar <= {bar:g} {unit}: {verdict}"
    )


def bench_starts(settings: Settings, starts: int) -> None:
    backend = get("local")
    for make, bar in ((backend.postgres, 1.5), (backend.redis, 0.2)):
        samples, label = [], ""
        for _ in range(starts):
            server = make(settings)
            samples.append(timed(server.start))
            label = f"{server.kind} {server.version} ready"
            server.close()
        figure(label, samples, "s", bar)


def bench_cold(settings: Settings) -> None:
    previous = os.environ.get("HARNESS_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as cache:
        os.chmod(cache, 0o711)
        os.environ["HARNESS_CACHE_DIR"] = cache
        try:
            server = get("local").postgres(settings)
            figure(f"postgres {server.version} cold (initdb)", [timed(server.start)], "s", None)
            server.close()
        finally:
            if previous is None:
                del os.environ["HARNESS_CACHE_DIR"]
            else:
                os.environ["HARNESS_CACHE_DIR"] = previous


def bench_resets(settings: Settings, resets: int) -> None:
    pg = get("local").postgres(settings)
    rd = get("local").redis(settings)
    pg.start()
    rd.start()
    try:
        factories = {
            "delete": PgDatabaseFactory(pg),
            "truncate": PgDatabaseFactory(pg, reset="truncate"),
        }

        def schema(dsn: str) -> None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(SCHEMA)

        def seeded(dsn: str) -> None:  # rows from setup: the factory clones a template
            schema(dsn)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("INSERT INTO jobs (kind) VALUES ('seed')")

        # (key, setup, calls, leave a session open); interleaved, so that the load of
        # the moment (2 shared cores) weighs on every variant alike.
        runs = [
            ("delete", schema, resets, False),
            ("delete", schema, resets, True),
            ("truncate", schema, resets, False),
            ("clone", seeded, max(10, resets // 5), False),
        ]
        samples: dict[tuple[str, bool], list[float]] = {(r[0], r[3]): [] for r in runs}
        for i in range(resets):
            for key, setup, n, leave_open in runs:
                if i >= n:
                    continue
                factory = factories.get(key, factories["delete"])
                db = factory(key, setup)
                with db.connect(autocommit=True) as conn:
                    conn.execute(DIRTY)
                leftover = db.connect() if leave_open else None  # a careless test's session
                if leftover is not None:
                    leftover.execute("SELECT 1")
                samples[key, leave_open].append(timed(lambda f=factory, k=key, s=setup: f(k, s)))
                if leftover is not None:
                    leftover.close()
        for (key, leave_open), figures in samples.items():
            label = f"clean pg database ({key}{', session left open' if leave_open else ''})"
            # A clone is the fallback for setups that insert rows: correct, not fast.
            figure(label, figures, "ms", None if key == "clone" else 10)
        for factory in factories.values():
            factory.close()

        reset = RedisReset(rd)
        samples = []
        for i in range(resets):
            client = reset().client()
            client.mset({f"k{j}": i for j in range(50)})
            client.close()
            samples.append(timed(reset))
        figure("redis reset (kill clients+FLUSHALL)", samples, "ms", 2)
        reset.close()
    finally:
        pg.close()
        rd.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--resets", type=int, default=100)
    parser.add_argument("--wheels", action="store_true", help="hide the system binaries")
    parser.add_argument("--cold", action="store_true", help="also time a start with an empty cache")
    args = parser.parse_args()
    settings = resolve({"no_system_binaries": "1"} if args.wheels else {})
    pg_bin = get("local").postgres(settings)
    print(
        f"binaries: postgres {pg_bin.version} ({pg_bin.origin}); cores: {os.cpu_count()}; load: {os.getloadavg()[0]:.1f}"
    )
    pg_bin.close()
    bench_starts(settings, args.starts)
    if args.cold:
        bench_cold(settings)
    bench_resets(settings, args.resets)
    return 0


if __name__ == "__main__":
    sys.exit(main())

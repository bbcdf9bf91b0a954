"""The toy system on PostgreSQL: the same race and crash window, plus a row lock to detect.

Kept in the tests, never in reference_impl. Claim variants:
- ``racy``: SELECT a pending job, then UPDATE it, in autocommit: two claimers
  can select the same job (the race);
- ``for_update``: one transaction, ``SELECT ... FOR UPDATE``: a second claimer
  blocks on the row lock (what the scheduler must detect), then finds the row
  no longer pending;
- ``fixed``: one transaction, ``FOR UPDATE SKIP LOCKED``: no double claim, no wait.

place_order: items, then the order; ``racy`` commits them apart (a crash between
leaves orphan items), ``fixed`` in one transaction.
"""

from __future__ import annotations

from typing import Any

import psycopg

from harness.checkers import snapshot_tables
from harness.crashpoints import crashpoint

CLAIM_VARIANTS = ("racy", "for_update", "fixed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs(id int PRIMARY KEY, state text NOT NULL);
CREATE TABLE IF NOT EXISTS orders(id int PRIMARY KEY);
CREATE TABLE IF NOT EXISTS order_items(order_id int NOT NULL, sku text NOT NULL);
"""

_SELECT = "SELECT id FROM jobs WHERE state = 'pending' ORDER BY id LIMIT 1"
_LOCKS = {"racy": "", "for_update": " FOR UPDATE", "fixed": " FOR UPDATE SKIP LOCKED"}


def connect(dsn: str, **kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, connect_timeout=5, **kwargs)


def reset(dsn: str, jobs: int = 1) -> None:
    with connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("TRUNCATE jobs, orders, order_items")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO jobs(id, state) VALUES (%s, 'pending')",
                [(i,) for i in range(1, jobs + 1)],
            )


def claim(dsn: str, variant: str) -> int | None:
    """Claim the oldest pending job; its id, or None when none could be had."""
    with connect(dsn, autocommit=(variant == "racy")) as conn:
        row = conn.execute(_SELECT + _LOCKS[variant]).fetchone()
        crashpoint("toy.claim.after_select")
        if row is not None:
            conn.execute("UPDATE jobs SET state = 'claimed' WHERE id = %s", (row[0],))
        conn.commit()
        return None if row is None else int(row[0])


def claim_many(dsn: str, variant: str, rng: object = None) -> int | None:
    return claim(dsn, variant)


def place_order(dsn: str, variant: str, order_id: int = 1) -> int:
    with connect(dsn, autocommit=(variant == "racy")) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO order_items(order_id, sku) VALUES (%s, %s)",
                [(order_id, "apple"), (order_id, "pear")],
            )
        crashpoint("toy.order.after_items")
        conn.execute("INSERT INTO orders(id) VALUES (%s)", (order_id,))
        crashpoint("toy.order.after_order")
        conn.commit()
        return order_id


def tables(dsn: str) -> dict[str, list[dict[str, Any]]]:
    with connect(dsn) as conn:
        return snapshot_tables(conn, ["jobs", "orders", "order_items"])

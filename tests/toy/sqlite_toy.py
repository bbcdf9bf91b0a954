"""The toy system on SQLite: a known race (job claim) and a known crash window (an order).

Kept in the tests, never in reference_impl: it exists to prove the harness finds
what it should. ``racy`` is the bug, ``fixed`` the repair.

- claim: SELECT a pending job, then UPDATE it claimed. Racy: two statements in
  autocommit, so two workers can both select the same job. Fixed: one
  ``BEGIN IMMEDIATE`` transaction (a second claimer waits on SQLite's busy lock).
- place_order: the items, then the order. Racy: two transactions, so a crash
  between them leaves items without their order. Fixed: one transaction.
"""

from __future__ import annotations

import sqlite3

from harness.crashpoints import crashpoint

VARIANTS = ("racy", "fixed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs(id INTEGER PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders(id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS order_items(order_id INTEGER NOT NULL, sku TEXT NOT NULL);
"""


def connect(path: str) -> sqlite3.Connection:
    # A busy timeout longer than any schedule holds a lock: a blocked claimer waits.
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    # The toy is crashed by SIGKILL, not power loss: the OS keeps every write, so
    # fsync buys nothing here and would only make each case slower.
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def reset(path: str, jobs: int = 1) -> None:
    conn = connect(path)
    conn.executescript(SCHEMA)
    conn.executescript("DELETE FROM jobs; DELETE FROM orders; DELETE FROM order_items;")
    conn.executemany(
        "INSERT INTO jobs(id, state) VALUES (?, 'pending')", [(i,) for i in range(1, jobs + 1)]
    )
    conn.close()


def claim(path: str, variant: str) -> int | None:
    """Claim the oldest pending job; returns its id (None: nothing pending)."""
    conn = connect(path)
    try:
        if variant == "fixed":
            conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "SELECT id FROM jobs WHERE state = 'pending' ORDER BY id LIMIT 1"
        ).fetchone()
        crashpoint("toy.claim.after_select")
        if row is None:
            if variant == "fixed":
                conn.execute("COMMIT")
            return None
        conn.execute("UPDATE jobs SET state = 'claimed' WHERE id = ?", (row[0],))
        if variant == "fixed":
            conn.execute("COMMIT")
        return int(row[0])
    finally:
        conn.close()


def claim_many(path: str, variant: str, rng: object = None) -> int | None:
    """One hammering op (the rng is unused: claiming has no choice to make)."""
    return claim(path, variant)


def place_order(path: str, variant: str, order_id: int = 1) -> int:
    conn = connect(path)
    try:
        if variant == "fixed":
            conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO order_items(order_id, sku) VALUES (?, ?)",
            [(order_id, "apple"), (order_id, "pear")],
        )
        crashpoint("toy.order.after_items")
        conn.execute("INSERT INTO orders(id) VALUES (?)", (order_id,))
        crashpoint("toy.order.after_order")
        if variant == "fixed":
            conn.execute("COMMIT")
        return order_id
    finally:
        conn.close()


def tables(path: str) -> dict[str, list[dict[str, object]]]:
    from harness.checkers import snapshot_tables

    conn = connect(path)
    try:
        return snapshot_tables(conn, ["jobs", "orders", "order_items"])
    finally:
        conn.close()

"""Checkers: judge a history, return a Verdict with its evidence. One per file, registered.

from harness.checkers import check
verdict = check("total_queue", history, enqueue="enqueue", dequeue="dequeue")
"""

from __future__ import annotations

# Each import registers its checker (one kind per file).
from harness.checkers import (
    acked_recovered,
    at_most_once,
    idempotent,
    no_orphans,
    property_holds,
    stores_equal,
    total_queue,
)
from harness.checkers.judge import Check, judge
from harness.checkers.registry import Checker, check, checkers, get_checker, register
from harness.checkers.safe import check_safe
from harness.checkers.snapshot import snapshot_tables

__all__ = [
    "Check",
    "Checker",
    "acked_recovered",
    "at_most_once",
    "check",
    "check_safe",
    "checkers",
    "get_checker",
    "idempotent",
    "judge",
    "no_orphans",
    "property_holds",
    "register",
    "snapshot_tables",
    "stores_equal",
    "total_queue",
]

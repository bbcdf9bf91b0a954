"""The registered trc.* checkers keep the conformance contract, each with a valid and an
invalid example, and are found through the entry point with no import of the scenarios."""

from __future__ import annotations

import pytest

from harness.checkers import checkers
from harness.checkers.conformance import check_conformance

TRC_CHECKERS = [
    "trc.acked_batch_kept",
    "trc.applied_committed",
    "trc.applied_once",
    "trc.batch_all_or_nothing",
    "trc.dlq_drained",
    "trc.enqueues_recovered",
    "trc.every_batch_stored",
    "trc.one_copy",
    "trc.ops_reported",
    "trc.replay_attempts_durable",
    "trc.replay_settled",
    "trc.replayed_once_after_commit",
    "trc.replayers_claimed_once",
    "trc.rows_in_key_order",
    "trc.rows_kept",
    "trc.schema_whole",
    "trc.tenant_reads_isolated",
    "trc.unique_keys_present",
    "trc.worker_settled",
]


def test_every_trc_checker_is_registered() -> None:
    assert [n for n in checkers() if n.startswith("trc.")] == TRC_CHECKERS


@pytest.mark.parametrize("name", TRC_CHECKERS)
def test_conformance(name: str) -> None:
    assert check_conformance(name, min_examples=2) >= 2

"""QUE-6: what the dual-write counters should say, derived from a history."""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.history import History, OpType
from harness.verdict import Verdict
from scenarios.que.checks import expect

#: Errors raised before any write was tried: not dual-write attempts.
NOT_ATTEMPTS = ("InvalidInput", "JobNotFound")


def expected_counts(history: History) -> tuple[Counter[str], Counter[str]]:
    """(certain, uncertain): ``certain`` counts ``<op>/succeeded`` and ``<op>/failed``;
    ``uncertain`` counts link failures, which a queue may count as failed or unknown."""
    certain: Counter[str] = Counter()
    uncertain: Counter[str] = Counter()
    for op in history:
        if op.f not in ("enqueue", "update_status") or op.process == "nemesis":
            continue
        if op.type is OpType.OK:
            created = op.value.get("created", True) if isinstance(op.value, dict) else True
            if created:
                certain[f"{op.f}/succeeded"] += 1
        elif op.type is OpType.FAIL:
            if not (op.error or "").startswith(NOT_ATTEMPTS):
                certain[f"{op.f}/failed"] += 1
        elif op.type is OpType.INFO:
            uncertain[op.f] += 1
    return certain, uncertain


def counts_match(history: History, counts: dict[str, int]) -> Verdict:
    certain, uncertain = expected_counts(history)
    problems: list[str] = []
    for op in ("enqueue", "update_status"):
        got_ok = counts.get(f"{op}/succeeded", 0)
        want_ok = certain[f"{op}/succeeded"]
        if got_ok != want_ok:
            problems.append(f"{op}/succeeded counted {got_ok}, caused {want_ok}")
        got_bad = counts.get(f"{op}/failed", 0) + counts.get(f"{op}/unknown", 0)
        want_bad = certain[f"{op}/failed"] + uncertain[op]
        if got_bad != want_bad or counts.get(f"{op}/failed", 0) < certain[f"{op}/failed"]:
            problems.append(
                f"{op}: failed+unknown counted {got_bad} (failed {counts.get(f'{op}/failed', 0)}), "
                f"caused {certain[f'{op}/failed']} refused + {uncertain[op]} link failures"
            )
    evidence: dict[str, Any] = {
        "counted": counts,
        "caused": dict(certain),
        "link_failures": dict(uncertain),
    }
    return expect(
        "que.metric_counts",
        not problems,
        "every dual-write attempt counted once, by its outcome",
        problems=problems,
        **evidence,
    )

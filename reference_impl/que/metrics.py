"""Dual-write outcome counters (QUE-6) in a real prometheus_client registry.

Each queue owns its own ``CollectorRegistry`` so a test reads exact counts
without the process-global default registry leaking counts between tests.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

METRIC = "que_dual_write_attempts"

#: ``unknown``: the link failed, so whether the write happened cannot be known.
OUTCOMES = ("succeeded", "failed", "unknown")
OPERATIONS = ("enqueue", "update_status")


class DualWriteMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._attempts = Counter(
            METRIC,
            "Dual-write attempts (old and new key schema) by operation and outcome",
            ("operation", "outcome"),
            registry=self.registry,
        )

    def record(self, operation: str, outcome: str) -> None:
        if operation not in OPERATIONS or outcome not in OUTCOMES:
            raise ValueError(f"unknown dual-write metric labels {operation!r}/{outcome!r}")
        self._attempts.labels(operation=operation, outcome=outcome).inc()

    def count(self, operation: str, outcome: str) -> int:
        value = self.registry.get_sample_value(
            f"{METRIC}_total", {"operation": operation, "outcome": outcome}
        )
        return int(value or 0)

    def counts(self) -> dict[str, int]:
        """Every non-zero count as ``{"enqueue/succeeded": 3, ...}``."""
        out = {}
        for op in OPERATIONS:
            for outcome in OUTCOMES:
                n = self.count(op, outcome)
                if n:
                    out[f"{op}/{outcome}"] = n
        return out

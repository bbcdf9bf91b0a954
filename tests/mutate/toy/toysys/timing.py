"""A poll jitter cap, fixed and pre-fix, as a system under test would keep both."""

from __future__ import annotations

CAP_S = 30.0


def jitter_cap(interval_s: float, *, prefix: bool = False) -> float:
    """Fixed: min(interval / 2, 30 s). Pre-fix: 30 s whatever the interval."""
    if interval_s < 0:
        raise ValueError("interval must be >= 0")
    if prefix:
        return CAP_S
    return min(interval_s / 2.0, CAP_S)


def caps(intervals: list[float], prefix: bool = False) -> list[float]:
    return [jitter_cap(i, prefix=prefix) for i in intervals]

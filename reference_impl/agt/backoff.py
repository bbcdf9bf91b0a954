"""The agent's poll timing: jitter on the interval (AGT-6), backoff on errors (AGT-7).

Both draw from a ``random.Random`` the caller owns, so a seeded run replays.
"""

from __future__ import annotations

import random

from reference_impl.agt import validate
from reference_impl.agt.errors import InvalidArgument

JITTER_CAP_S = 30.0
BACKOFF_BASE_S = 10.0
BACKOFF_CAP_S = 300.0
# 2**5 * 10 s already exceeds the 300 s cap; clamping the exponent keeps the
# arithmetic finite at any attempt count (2.0 ** 1024 overflows a float).
_MAX_EXPONENT = 16


def jitter_cap(interval_s: float, *, prefix: bool = False) -> float:
    """Fixed: min(interval / 2, 30 s). Pre-fix: 30 s whatever the interval."""
    interval = validate.seconds("polling interval", interval_s)
    return JITTER_CAP_S if prefix else min(interval / 2.0, JITTER_CAP_S)


def jitter(interval_s: float, rng: random.Random, *, prefix: bool = False) -> float:
    return rng.uniform(0.0, jitter_cap(interval_s, prefix=prefix))


def backoff_ceiling(attempt: int, *, prefix: bool = False) -> float:
    """The largest delay of the ``attempt``-th consecutive failure (1-based)."""
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise InvalidArgument(f"backoff attempt must be an integer >= 1, got {attempt!r}")
    if prefix:
        return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0**attempt)  # OverflowError past 1023
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** min(attempt, _MAX_EXPONENT))


def backoff_delay(attempt: int, rng: random.Random, *, prefix: bool = False) -> float:
    """Uniform in [base, ceiling]: attempt 1 in [10, 20] s, 2 in [10, 40] s, ..., capped at 300 s."""
    return rng.uniform(BACKOFF_BASE_S, backoff_ceiling(attempt, prefix=prefix))

"""Per-deployment settings: the signing key, lifetimes, the lease and retry limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from reference_impl.agt.clock import Clock, SystemClock
from reference_impl.agt.errors import InvalidArgument
from reference_impl.agt.variants import FIXED, Variants


@dataclass(frozen=True)
class Deployment:
    signing_key: bytes
    clock: Clock = field(default_factory=SystemClock)
    variants: Variants = FIXED
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=90)
    #: a command sent and not acknowledged within the lease is "stuck": delivered again
    lease: timedelta = timedelta(minutes=5)
    #: re-deliveries of a stuck command before it is failed (AGT-3: 1 + 5 deliveries)
    max_retries: int = 5
    #: AGT-9: how long after consumption a registration whose reply was lost may be recovered
    registration_recovery: timedelta = timedelta(hours=24)
    poll_batch: int = 50

    def __post_init__(self) -> None:
        if not isinstance(self.signing_key, bytes) or len(self.signing_key) < 32:
            raise InvalidArgument("signing_key must be at least 32 random bytes per deployment")
        for name in ("access_ttl", "refresh_ttl", "lease", "registration_recovery"):
            if getattr(self, name) <= timedelta(0):
                raise InvalidArgument(f"{name} must be positive")
        if self.max_retries < 0 or self.poll_batch < 1:
            raise InvalidArgument("max_retries must be >= 0 and poll_batch >= 1")

"""The agent's poll loop: interval plus jitter (AGT-6), exponential backoff on every
error path, reset by the first success (AGT-7), a sleep a shutdown ends promptly.

Pre-fix (AGT-7): the failure counter is never reset, the exponent is not
clamped (a float overflow at attempt 1024), and the sleep ignores shutdown (the
seed's edge case 9d: "process kill is the only way to stop during backoff").
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reference_impl.agt import backoff, validate
from reference_impl.agt.clock import Clock
from reference_impl.agt.variants import FIXED, Variants


@dataclass(frozen=True)
class Tick:
    """One turn of the loop, as a scenario reads it back."""

    at_s: float  # virtual time since the loop started
    outcome: str  # "ok" or "error"
    attempt: int  # consecutive failures counted at this turn (0 after a reset)
    delay_s: float
    error: str | None = None


@dataclass
class PollLoop:
    fetch: Callable[[], list[Any]]
    clock: Clock
    rng: random.Random
    interval_s: float
    stop: threading.Event = field(default_factory=threading.Event)
    variants: Variants = FIXED
    handle: Callable[[list[Any]], None] = lambda commands: None
    ticks: list[Tick] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.interval_s = validate.seconds("polling interval", self.interval_s, allow_zero=False)

    def run(self, max_turns: int | None = None) -> None:
        prefix6, prefix7 = self.variants.prefix("AGT-6"), self.variants.prefix("AGT-7")
        t0, failures, turns = self.clock.now(), 0, 0
        while not self.stop.is_set() and (max_turns is None or turns < max_turns):
            turns += 1
            error: str | None = None
            try:
                commands = self.fetch()
            except Exception as exc:  # every error path counts: transport, status, decoding
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                if not prefix7:
                    failures = 0
                self.handle(commands)
                delay = self.interval_s + backoff.jitter(self.interval_s, self.rng, prefix=prefix6)
            else:
                failures += 1
                delay = backoff.backoff_delay(failures, self.rng, prefix=prefix7)
            at = (self.clock.now() - t0).total_seconds()
            self.ticks.append(Tick(at, "error" if error else "ok", failures, delay, error))
            if prefix7:
                self.clock.sleep(delay)  # the seed's sleep: deaf to shutdown
            elif self.clock.sleep(delay, self.stop):
                break

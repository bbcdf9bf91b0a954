"""Time, injected: the server's notion of "now" and the agent's sleeps.

Scenarios use ``ManualClock``: sleeps advance virtual time at once and never
block on the wall clock. Timers fire at virtual instants inside a sleep, so "a
shutdown arrives 10 s into a 5-minute backoff" is a plain, replayable event.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """Sleep ``seconds``; return True when ``stop`` was set first (a prompt wake-up)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        if stop is None:
            time.sleep(max(0.0, seconds))
            return False
        return stop.wait(max(0.0, seconds))


class ManualClock:
    """Virtual time: ``sleep`` jumps ahead, firing timers due on the way.

    A sleep given ``stop`` ends at the first timer after which ``stop`` is set;
    a sleep without it (the seed's uninterruptible sleep) always runs its full
    length, whatever the timers did.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()
        self._timers: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.sleeps: list[float] = []  # every requested sleep, in seconds

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        self._advance_to(self.now() + timedelta(seconds=seconds))

    def call_later(self, seconds: float, action: Callable[[], None]) -> None:
        """Run ``action`` once virtual time has moved ``seconds`` past now."""
        with self._lock:
            due = self._now + timedelta(seconds=seconds)
            heapq.heappush(self._timers, (due, next(self._seq), action))

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        self.sleeps.append(seconds)
        deadline = self.now() + timedelta(seconds=max(0.0, seconds))
        if stop is not None and stop.is_set():
            return True
        while True:
            with self._lock:
                due = self._timers[0][0] if self._timers else None
            if due is None or due > deadline:
                break
            self._advance_to(due)  # fires the timer
            if stop is not None and stop.is_set():
                return True
        self._advance_to(deadline)
        return stop.is_set() if stop is not None else False

    def _advance_to(self, when: datetime) -> None:
        fire: list[Callable[[], None]] = []
        with self._lock:
            self._now = max(self._now, when)
            while self._timers and self._timers[0][0] <= self._now:
                fire.append(heapq.heappop(self._timers)[2])
        for action in fire:
            action()

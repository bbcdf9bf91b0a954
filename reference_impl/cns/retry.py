"""Retry with classification: which SQLite errors are worth another attempt, and how long to wait.

The unit of retry is a whole transaction (the caller passes a function that
opens, runs and commits one): SQLITE_BUSY_SNAPSHOT means this transaction read
a snapshot another writer has since replaced, so only a rerun from BEGIN can
succeed; a retry of the failed statement inside it fails forever.

Time and randomness are injected (``sleep``, ``rng``): nothing here reads a
real clock, so tests check the schedule exactly and never sleep.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import apsw

from harness.crashpoints import crashpoint
from reference_impl.cns.errors import (
    DatabaseFull,
    PermanentError,
    ReadOnlyDatabase,
    RetriesExhausted,
    StoreError,
)

T = TypeVar("T")

SQLITE_BUSY_SNAPSHOT = 517  # (SQLITE_BUSY | 2 << 8)


class Kind(enum.Enum):
    RETRY = "retry"  # wait out the other writer, then run the transaction again
    RESTART = "restart"  # stale snapshot: roll back and rerun at once
    PERMANENT = "permanent"  # another attempt gives the same answer


def classify(exc: BaseException) -> Kind:
    """The reference classification (CNS-6)."""
    if isinstance(exc, apsw.BusyError):
        if getattr(exc, "extendedresult", None) == SQLITE_BUSY_SNAPSHOT:
            return Kind.RESTART
        return Kind.RETRY
    if isinstance(exc, apsw.LockedError):
        return Kind.RETRY
    return Kind.PERMANENT


def classify_seed(exc: BaseException) -> Kind:
    """The seed's: "retryable (timeout, 503, SQLITE_BUSY) vs permanent". It names SQLITE_BUSY
    only, by primary code (as rusqlite's ``ErrorCode::DatabaseBusy``), so BUSY_SNAPSHOT is
    waited out like any BUSY and SQLITE_LOCKED counts as permanent."""
    if isinstance(exc, apsw.BusyError):
        return Kind.RETRY
    return Kind.PERMANENT


def jitter_reference(nominal_ms: float, rng: random.Random) -> float:
    """Within +/-20 % of the nominal delay: spreads competing writers, keeps the schedule."""
    return nominal_ms * rng.uniform(0.8, 1.2)


def jitter_backon(nominal_ms: float, rng: random.Random, min_delay_ms: float = 100.0) -> float:
    """backon's ``with_jitter()``: adds a random delay in [0, min_delay) to each delay."""
    return nominal_ms + rng.uniform(0.0, min_delay_ms)


@dataclass(frozen=True)
class Backoff:
    """``base_ms`` * ``factor`` ** (n - 1) before retry n, for ``retries`` retries."""

    base_ms: float = 100.0
    factor: float = 2.0
    retries: int = 5
    jitter: Callable[[float, random.Random], float] = jitter_reference

    def nominal_ms(self, retry: int) -> float:
        return self.base_ms * self.factor ** (retry - 1)

    def delay_ms(self, retry: int, rng: random.Random) -> float:
        return self.jitter(self.nominal_ms(retry), rng)


@dataclass(frozen=True)
class Attempt:
    number: int
    error: str | None  # SQLite's extended code name, or None for success
    kind: str | None
    delay_ms: float | None  # the wait after this attempt (None: no further attempt)


@dataclass
class RetryLog:
    """What the helper did: every attempt, its error and the wait after it."""

    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delays_ms(self) -> list[float]:
        return [a.delay_ms for a in self.attempts if a.delay_ms is not None]

    def to_json(self) -> list[dict[str, object]]:
        return [a.__dict__ for a in self.attempts]


def error_name(exc: BaseException) -> str:
    code = getattr(exc, "extendedresult", None)
    if isinstance(code, int):
        name = apsw.mapping_extended_result_codes.get(code) or apsw.mapping_result_codes.get(code)
        return str(name or code)
    return type(exc).__name__


@dataclass(frozen=True)
class Retrier:
    """Runs a transaction function under a backoff and a classification."""

    backoff: Backoff = Backoff()
    classify: Callable[[BaseException], Kind] = classify
    sleep: Callable[[float], None] = lambda s: None
    rng: random.Random = field(default_factory=random.Random)
    restart_at_once: bool = True

    def run(self, txn: Callable[[], T], log: RetryLog | None = None) -> T:
        log = log if log is not None else RetryLog()
        retry = 0
        while True:
            number = len(log.attempts) + 1
            try:
                result = txn()
            except apsw.Error as exc:
                kind = self.classify(exc)
                if kind is Kind.PERMANENT:
                    log.attempts.append(Attempt(number, error_name(exc), kind.value, None))
                    raise permanent(exc) from exc
                retry += 1
                if retry > self.backoff.retries:
                    log.attempts.append(Attempt(number, error_name(exc), kind.value, None))
                    raise RetriesExhausted(
                        f"{error_name(exc)} persisted through {self.backoff.retries} retries",
                        log,
                    ) from exc
                if kind is Kind.RESTART and self.restart_at_once:
                    delay = 0.0
                else:
                    delay = self.backoff.delay_ms(retry, self.rng)
                log.attempts.append(Attempt(number, error_name(exc), kind.value, delay))
                crashpoint("cns.retry.before_backoff")
                self.sleep(delay / 1000.0)
                continue
            except Exception as exc:  # the caller's own refusal (bad input): not SQLite's
                log.attempts.append(Attempt(number, type(exc).__name__, Kind.PERMANENT.value, None))
                raise
            log.attempts.append(Attempt(number, None, None, None))
            return result


def permanent(exc: apsw.Error) -> StoreError:
    """The store's error for a failure no retry cures."""
    if isinstance(exc, apsw.FullError):
        return DatabaseFull(
            f"database or disk is full ({exc}); the transaction was rolled back, "
            "nothing committed before it was lost: free space or raise the size limit"
        )
    if isinstance(exc, apsw.ReadOnlyError):
        return ReadOnlyDatabase(f"the database is read-only ({exc}); nothing was changed")
    return PermanentError(f"{error_name(exc)}: {exc}")

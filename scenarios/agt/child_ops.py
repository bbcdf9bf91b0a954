"""Operations as a harness child runs them: module-level, taking only picklable values
(a DSN, never a connection), opening their own connection, returning JSON-able data.

``now_iso`` freezes the child's clock, so the parent decides what time it is.

A recovery step runs the same functions in the scenario's own process, wrapped by
``here`` (nothing is injected into it): there they use that process's kept connection
(``agtdb.connect``) instead of opening one, which spares a child and a backend per case.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from harness.crash.runner import op_name
from reference_impl.agt import (
    Deployment,
    ManualClock,
    Variants,
    migrate,
    poll,
    register,
    renew,
    revoke_refresh_tokens,
)
from scenarios.agt import agtdb
from scenarios.agt.agtdb import SIGNING_KEY

#: True while ``here`` runs an op in the scenario's own process.
IN_SCENARIO: contextvars.ContextVar[bool] = contextvars.ContextVar("in_scenario", default=False)


@dataclass(frozen=True)
class here:
    """``op`` run in the scenario's process, on its kept connection (a recovery step)."""

    op: Callable[[], Any]

    @property
    def __name__(self) -> str:  # the history names the step by the op it wraps
        return op_name(self.op)

    def __call__(self) -> Any:
        token = IN_SCENARIO.set(True)
        try:
            return self.op()
        finally:
            IN_SCENARIO.reset(token)


def _dep(variants: str, now_iso: str) -> Deployment:
    return Deployment(
        SIGNING_KEY,
        clock=ManualClock(datetime.fromisoformat(now_iso)),
        variants=Variants.parse(variants),
    )


def _connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True, connect_timeout=3)


@contextlib.contextmanager
def _connection(dsn: str) -> Iterator[psycopg.Connection]:
    """A child's own connection, closed after the op; in the scenario's process, its kept one."""
    if IN_SCENARIO.get():
        with agtdb.connect(dsn) as conn:
            yield conn
    else:
        with _connect(dsn) as conn:
            yield conn


def register_op(
    dsn: str, variants: str, now_iso: str, reg_token: str, secret: str
) -> dict[str, Any]:
    with _connection(dsn) as conn:
        reg = register(conn, _dep(variants, now_iso), reg_token, "agent-host", secret)
    return {
        "agent_id": reg.agent_id,
        "recovered": reg.recovered,
        "refresh_token": reg.refresh_token,
    }


def poll_op(dsn: str, variants: str, now_iso: str, agent_id: str) -> list[int]:
    with _connection(dsn) as conn:
        return [c.id for c in poll(conn, _dep(variants, now_iso), agent_id)]


def renew_op(dsn: str, variants: str, now_iso: str, agent_id: str, refresh: str) -> str:
    with _connection(dsn) as conn:
        return renew(
            conn, _dep(variants, now_iso), agent_id, refresh
        ).refresh_expires_at.isoformat()


def revoke_op(dsn: str, variants: str, now_iso: str, agent_id: str) -> int:
    with _connection(dsn) as conn:
        return revoke_refresh_tokens(conn, _dep(variants, now_iso), agent_id)


def migrate_op(dsn: str, variants: str) -> list[int]:
    with _connection(dsn) as conn:
        return migrate.upgrade(conn, Variants.parse(variants))


def migrate_down_op(dsn: str, target: int) -> list[int]:
    with _connection(dsn) as conn:
        return migrate.downgrade(conn, target)


def poll_many_op(
    dsn: str, variants: str, now_iso: str, agent_id: str, times: int
) -> list[list[int]]:
    """A hammering worker: ``times`` polls back to back on one connection."""
    dep = _dep(variants, now_iso)
    with _connection(dsn) as conn:
        return [[c.id for c in poll(conn, dep, agent_id)] for _ in range(times)]


@dataclass
class Step:
    """A hammering step: one operation per call, on a connection the process keeps.
    Pickled before any connection opens, so only the DSN and names travel."""

    dsn: str
    variants: str
    now_iso: str
    _conn: psycopg.Connection | None = field(default=None, init=False, repr=False)

    def conn(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = _connect(self.dsn)
        return self._conn

    def dep(self) -> Deployment:
        return _dep(self.variants, self.now_iso)


@dataclass
class PollStep(Step):
    agent_id: str = ""

    def __call__(self, rng: random.Random) -> list[int]:
        return [c.id for c in poll(self.conn(), self.dep(), self.agent_id)]


@dataclass
class RenewOrRevokeStep(Step):
    agent_id: str = ""
    refresh: str = ""

    def __call__(self, rng: random.Random) -> str:
        if rng.random() < 0.2:  # a revocation now and then, among renewals
            return f"revoked {revoke_refresh_tokens(self.conn(), self.dep(), self.agent_id)}"
        return renew(
            self.conn(), self.dep(), self.agent_id, self.refresh
        ).refresh_expires_at.isoformat()


@dataclass
class RegisterStep(Step):
    reg_token: str = ""

    def __call__(self, rng: random.Random) -> dict[str, Any]:
        secret = "agtsec_" + base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
        reg = register(self.conn(), self.dep(), self.reg_token, "agent-host", secret)
        return {"agent_id": reg.agent_id, "recovered": reg.recovered}

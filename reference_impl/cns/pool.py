"""Where connections come from: a pool (the fix) or one mutex-guarded connection (the seed's today).

The seed's ``ConsensusDb`` holds ``Arc<Mutex<Connection>>``: every reader waits
for whichever thread holds the one connection. ``ConnectionPool`` hands each
thread its own connection (opened lazily, up to ``size``), so with WAL a reader
never waits for a writer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import apsw

from reference_impl.cns.errors import PoolTimeout

Factory = Callable[[], apsw.Connection]


class Connections(Protocol):
    def connection(self) -> AbstractContextManager[apsw.Connection]: ...

    def opened(self) -> list[apsw.Connection]: ...

    def close(self) -> None: ...


class ConnectionPool:
    """Up to ``size`` connections, each used by one thread at a time."""

    def __init__(self, factory: Factory, size: int, wait_s: float) -> None:
        self._factory = factory
        self._size = size
        self._wait_s = wait_s
        self._idle: queue.LifoQueue[apsw.Connection] = queue.LifoQueue()
        self._all: list[apsw.Connection] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[apsw.Connection]:
        conn = self._take()
        try:
            yield conn
        finally:
            if conn.in_transaction:
                # A caller that left a transaction open must not hand it to the next one.
                conn.execute("ROLLBACK")
            self._idle.put(conn)

    def adopt(self, conn: apsw.Connection) -> None:
        """Take an already opened connection into the pool (the one ``open()`` checked)."""
        with self._lock:
            self._all.append(conn)
        self._idle.put(conn)

    def _take(self) -> apsw.Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._all) < self._size:
                conn = self._factory()
                self._all.append(conn)
                return conn
        try:
            return self._idle.get(timeout=self._wait_s)
        except queue.Empty:
            raise PoolTimeout(
                f"no pooled connection free after {self._wait_s} s (pool size {self._size})"
            ) from None

    def opened(self) -> list[apsw.Connection]:
        with self._lock:
            return list(self._all)

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()


class SingleConnection:
    """One connection behind a mutex, as the seed's ``Arc<Mutex<Connection>>``."""

    def __init__(self, factory: Factory, wait_s: float) -> None:
        self._conn = factory()
        self._mutex = threading.Lock()
        self._wait_s = wait_s

    @contextmanager
    def connection(self) -> Iterator[apsw.Connection]:
        if not self._mutex.acquire(timeout=self._wait_s):
            raise PoolTimeout(f"the single connection stayed busy for {self._wait_s} s")
        try:
            yield self._conn
        finally:
            self._mutex.release()

    def opened(self) -> list[apsw.Connection]:
        return [self._conn]

    def close(self) -> None:
        self._conn.close()

"""A fault is complete when it has landed: the servers have seen the client go.

A SIGKILLed child's sockets close with it, but its PostgreSQL backend goes on
for a few milliseconds (it still has to notice the EOF and roll back), holding
its row locks; a ``SKIP LOCKED`` recovery that starts then skips exactly the
rows under test. The same holds for a client whose link was cut (the proxy
closed the server side; the server has not read the EOF yet), and for a Redis
client (a dead client's ``BLPOP`` can still take an element).

So after a kill or a cut the runner waits, bounded, until every watched server
has let go of every session whose client is gone:

- PostgreSQL: no backend left whose ``application_name`` names a dead harness
  child (each child gets ``PGAPPNAME=harness:<process>:<pid>``, so the code
  under test needs nothing but the crash-point marker), and no backend whose
  loopback client socket is no longer ESTABLISHED on this machine;
- Redis: no client in ``CLIENT LIST`` whose loopback socket is gone.

The servers to watch are the ones the harness started (``watch`` is called by the
server fixtures). The wait polls the server's own view, never sleeps a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.errors import ServerError

#: Upper bound of a wait; a backend that needs longer is a harness error, never a pass.
LANDING_TIMEOUT_S = 10.0
_POLL_S = 0.001
APP_PREFIX = "harness:"


def app_name(process: str, pid: int) -> str:
    """The ``application_name`` a harness child's PostgreSQL sessions carry (<= 63 bytes)."""
    return f"{APP_PREFIX}{process[:40]}:{pid}"


class Watched(Protocol):
    """A server whose sessions a fault must see gone."""

    @property
    def address(self) -> tuple[str, int]: ...

    #: whether ``lingering`` needs the machine's socket table (``live``) to tell
    needs_sockets: bool

    def lingering(self, dead_apps: frozenset[str], live: set[tuple[int, int]]) -> list[str]:
        """Sessions still present whose client is gone (empty when the fault has landed)."""
        ...

    def close(self) -> None: ...


_LOOPBACK_V4 = "0100007F"
_ESTABLISHED = "01"


def established_loopback() -> set[tuple[int, int]]:
    """(local port, remote port) of every ESTABLISHED loopback TCP socket on this machine.

    Asked of the kernel over netlink (sock_diag, as ``ss`` does), filtered to ESTABLISHED
    there: ``/proc/net/tcp`` lists every socket in text, TIME_WAIT included, and on a busy
    machine (6,000 of them) reading it cost 0.5 s per fault, most of a QUE case. The text
    tables remain the fallback where netlink is refused."""
    try:
        return _diag_established()
    except OSError:
        return _proc_established()


_NETLINK_SOCK_DIAG = 4  # linux/netlink.h (the socket module does not name it)
_SOCK_DIAG_BY_FAMILY = 20
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_NLMSG_HDR = struct.Struct("=IHHII")
_TCP_ESTABLISHED = 1
_LOOPBACK_ADDRS = {
    socket.AF_INET: (b"\x7f\x00\x00\x01",),
    socket.AF_INET6: (
        bytes(15) + b"\x01",  # ::1
        bytes(10) + b"\xff\xff\x7f\x00\x00\x01",  # ::ffff:127.0.0.1
    ),
}


def _diag_established() -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG) as nl:
        nl.settimeout(5)
        for seq, family in enumerate((socket.AF_INET, socket.AF_INET6), start=1):
            # inet_diag_req_v2: family, protocol, ext, pad, states; a zero inet_diag_sockid
            req = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, 1 << _TCP_ESTABLISHED)
            req += bytes(48)
            flags = _NLM_F_REQUEST | _NLM_F_DUMP
            nl.send(
                _NLMSG_HDR.pack(_NLMSG_HDR.size + len(req), _SOCK_DIAG_BY_FAMILY, flags, seq, 0)
                + req
            )
            _read_dump(nl, family, out)
    return out


def _read_dump(nl: socket.socket, family: socket.AddressFamily, out: set[tuple[int, int]]) -> None:
    loopback = _LOOPBACK_ADDRS[family]
    addr_len = 4 if family == socket.AF_INET else 16
    while True:
        data = nl.recv(1 << 20)
        at = 0
        while at + _NLMSG_HDR.size <= len(data):
            length, kind = _NLMSG_HDR.unpack_from(data, at)[:2]
            if kind == _NLMSG_DONE:
                return
            if kind == _NLMSG_ERROR:
                raise OSError("sock_diag refused the dump")
            # inet_diag_msg: family, state, timer, retrans, then sport, dport (big-endian),
            # src[16], dst[16]
            body = at + _NLMSG_HDR.size
            sport, dport = struct.unpack_from("!HH", data, body + 4)
            src = data[body + 8 : body + 8 + addr_len]
            if src in loopback:
                out.add((sport, dport))
            at += (length + 3) & ~3
        if not data:
            return


def _proc_established() -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as fh:
                next(fh, None)
                for line in fh:
                    parts = line.split()
                    if len(parts) < 4 or parts[3] != _ESTABLISHED:
                        continue
                    local, remote = parts[1], parts[2]
                    lhost, lport = local.rsplit(":", 1)
                    if not _is_loopback(lhost):
                        continue
                    out.add((int(lport, 16), int(remote.rsplit(":", 1)[1], 16)))
        except OSError:
            continue
    return out


def _is_loopback(hex_host: str) -> bool:
    if len(hex_host) == 8:
        return hex_host == _LOOPBACK_V4
    # ::1, or ::ffff:127.0.0.1 (IPv4-mapped), as /proc prints them (32-bit words, host order)
    return hex_host in ("00000000000000000000000001000000", "0000000000000000FFFF00000100007F")


def _dead_peer(
    client_addr: str | None, client_port: int | None, server_port: int, live: set[tuple[int, int]]
) -> bool:
    if client_port is None or client_port <= 0 or client_addr is None:
        return False  # a Unix socket or an internal process: nothing to see on TCP
    if client_addr not in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        return False  # not on this machine: its socket table is not ours to read
    return (client_port, server_port) not in live


@dataclass
class PostgresWatch:
    host: str
    port: int
    dsn: str
    _conn: Any = field(default=None, repr=False)
    needs_sockets: bool = False

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self.dsn, autocommit=True, connect_timeout=3, application_name="harness-landing"
            )
        return self._conn

    def lingering(self, dead_apps: frozenset[str], live: set[tuple[int, int]]) -> list[str]:
        import psycopg

        try:
            rows = (
                self._connection()
                .execute(
                    "SELECT pid, application_name, host(client_addr), client_port"
                    " FROM pg_stat_activity WHERE backend_type = 'client backend'"
                    " AND pid <> pg_backend_pid()"
                )
                .fetchall()
            )
        except psycopg.Error:
            self.close()
            return []  # the server is down (a scenario killed it): no session lingers
        # By name only: a harness child's sessions all carry its application_name, through
        # a proxy too (reading the machine's socket table costs tens of ms per case).
        return [
            f"postgres backend {pid} ({app or client_addr}:{client_port})"
            for pid, app, client_addr, client_port in rows
            if app in dead_apps
        ]

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


@dataclass
class RedisWatch:
    """A Redis client carries no name we could give it from outside, so a gone client is
    one whose loopback socket this machine no longer has ESTABLISHED."""

    host: str
    port: int
    url: str
    _client: Any = field(default=None, repr=False)
    needs_sockets: bool = True

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def lingering(self, dead_apps: frozenset[str], live: set[tuple[int, int]]) -> list[str]:
        import redis

        try:
            if self._client is None:
                self._client = redis.Redis.from_url(self.url, socket_timeout=3)
            clients = self._client.client_list()
        except redis.RedisError:
            self.close()
            return []
        out = []
        for c in clients:
            host, _, port = str(c.get("addr", "")).rpartition(":")
            if c.get("name") in dead_apps or (
                port.isdigit() and _dead_peer(host.strip("[]"), int(port), self.port, live)
            ):
                out.append(f"redis client {c.get('id')} ({c.get('addr')})")
        return out

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None


_watched: dict[tuple[str, int, int], Watched] = {}


def _key(address: tuple[str, int]) -> tuple[str, int, int]:
    return address[0], address[1], os.getpid()


def watch(server: Any) -> None:
    """Watch a harness server (a ``PostgresServer`` or ``RedisServer``) from now on."""
    kind = getattr(server, "kind", None)
    if kind == "postgres":
        watched: Watched = PostgresWatch(server.host, server.port, server.dsn("postgres"))
    elif kind == "redis":
        watched = RedisWatch(server.host, server.port, server.url(0))
    else:
        return
    unwatch(server)
    _watched[_key(watched.address)] = watched
    # Connect now, not in the first wait (a backend fork, tens of ms on a loaded machine).
    watched.lingering(frozenset(), set())


def unwatch(server: Any) -> None:
    watched = _watched.pop(_key((server.host, server.port)), None)
    if watched is not None:
        watched.close()


def watched() -> list[Watched]:
    pid = os.getpid()
    return [w for k, w in _watched.items() if k[2] == pid]


def settle(
    dead_apps: Iterable[str] = (), timeout_s: float | None = None, *, sockets: bool = True
) -> tuple[float, list[str]]:
    """Wait until no watched server keeps a session of a gone client (``sockets=False``:
    only the named sessions of ``dead_apps``, for a run with no fault, cheaply).

    Returns (seconds waited, the sessions seen lingering at first). Raises
    ``ServerError`` past ``timeout_s``: a fault that never lands is not a pass."""
    servers = [w for w in watched() if sockets or not w.needs_sockets]
    if not servers:
        return 0.0, []
    dead = frozenset(dead_apps)
    timeout_s = LANDING_TIMEOUT_S if timeout_s is None else timeout_s
    t0 = time.perf_counter()
    first: list[str] | None = None
    while True:
        live = established_loopback() if any(w.needs_sockets for w in servers) else set()
        left = [s for w in servers for s in w.lingering(dead, live)]
        if first is None:
            first = left
        if not left:
            return time.perf_counter() - t0, first
        if time.perf_counter() - t0 > timeout_s:
            raise ServerError(
                f"a fault did not land within {timeout_s}s: still present: {', '.join(left[:5])}"
            )
        time.sleep(_POLL_S)  # polling the servers' own view, bounded by timeout_s

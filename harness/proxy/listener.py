"""One proxy: its listening socket, its accept loop and its open connections."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any, Protocol

from harness.proxy.addr import bind_host, format_addr, normalize_listen, split_hostport
from harness.proxy.chain import ToxicChain
from harness.proxy.connection import Connection, Side
from harness.proxy.errors import ApiError
from harness.proxy.resolve import Address, Target, listener_address, resolve

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


class Guard(Protocol):
    """What a proxy asks of its collection before it dials (see ``ProxyCollection``)."""

    def refusal(self, proxy: Proxy) -> str | None:
        """Why a new connection must be refused now (a limit reached), or None."""

    async def leads_back(self, proxy: Proxy, targets: list[Address]) -> bool:
        """Whether dialling ``targets`` would come back to ``proxy`` (a loop)."""


class _NoGuard:
    def refusal(self, proxy: Proxy) -> str | None:
        return None

    async def leads_back(self, proxy: Proxy, targets: list[Address]) -> bool:
        return False


class _ClientSide(Side):
    def __init__(self, proxy: Proxy) -> None:
        super().__init__()
        self.proxy = proxy

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.proxy._accepted(self)


class Proxy:
    def __init__(
        self,
        name: str,
        listen: str,
        upstream: str,
        seed: int,
        guard: Guard | None = None,
    ) -> None:
        self.name = name
        self._guard: Guard = guard if guard is not None else _NoGuard()
        self.bound: Address | None = None  # where the listening socket is, while enabled
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.chain = ToxicChain(name, seed)
        self.conns: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self._connecting: set[asyncio.Task[None]] = set()
        self._serial = 0
        self._refusing: str | None = None  # logged once per spell of refusals

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": self.chain.to_json(),
        }

    # -- start and stop ---------------------------------------------------
    async def start(self) -> None:
        if self.enabled:
            return
        host, port = split_hostport(self.listen, "listen", allow_port_zero=True)
        loop = asyncio.get_running_loop()
        bound = bind_host(host)
        try:
            if bound is None:
                server = await loop.create_server(
                    lambda: _ClientSide(self), sock=_every_interface(host, port)
                )
            else:
                server = await loop.create_server(
                    lambda: _ClientSide(self), host=bound, port=port, reuse_address=True
                )
        except OSError as exc:
            # Toxiproxy answers 500 here; say which address and why.
            raise ApiError(500, f"listen tcp {self.listen}: {exc.strerror or exc}") from None
        self._server = server
        sockname = server.sockets[0].getsockname()
        self.listen = format_addr(sockname)
        self.bound = listener_address(sockname)
        self.enabled = True

    async def stop(self) -> None:
        """Stop listening and drop every connection (a 'down' link)."""
        self.enabled = False
        self.bound = None
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._connecting):
            task.cancel()
        for conn in list(self.conns):
            conn.abort()
        if self._connecting:
            await asyncio.wait(list(self._connecting))

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        if normalize_listen(listen) != self.listen or upstream != self.upstream:
            await self.stop()
            self.listen, self.upstream = listen, upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled and self.enabled:
            await self.stop()

    def differs(self, listen: str, upstream: str) -> bool:
        return normalize_listen(listen) != self.listen or upstream != self.upstream

    @property
    def open_connections(self) -> int:
        """Connections held (dialling or open): two descriptors each."""
        return len(self.conns) + len(self._connecting)

    # -- accepting --------------------------------------------------------
    def _accepted(self, client: _ClientSide) -> None:
        if not self.enabled:
            if client.transport is not None:
                client.transport.abort()
            return
        reason = self._guard.refusal(self)
        if reason is not None:
            self._refuse(client, reason)
            return
        self._serial += 1
        task = asyncio.get_running_loop().create_task(self._connect(client, self._serial))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    def _refuse(self, client: Side, reason: str) -> None:
        if self._refusing != reason:  # once per spell, not once per connection
            self._refusing = reason
            log.warning("proxy %s: refusing connections: %s", self.name, reason)
        if client.transport is not None:
            client.transport.close()

    async def _connect(self, client: Side, serial: int) -> None:
        host, port = split_hostport(self.upstream, "upstream", allow_port_zero=False)
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                targets = await resolve(host, port)
                if await self._guard.leads_back(self, [t.address for t in targets]):
                    # Dialling would accept a connection that dials again, without end.
                    self._refuse(client, f"upstream {self.upstream} leads back to this proxy")
                    return
                transport, server = await _dial(targets)
        except asyncio.CancelledError:
            if client.transport is not None:
                client.transport.abort()
            raise
        except (OSError, TimeoutError) as exc:
            log.info("proxy %s: upstream %s unreachable: %s", self.name, self.upstream, exc)
            if client.transport is not None:
                client.transport.close()
            return
        if server.transport is None:  # uvloop: connection_made comes later
            server.transport = transport
        self._refusing = None  # a connection went through: the next refusal is news
        conn = Connection(serial, client, server, self.chain, self.conns.discard)
        self.conns.add(conn)
        conn.start()


def _every_interface(host: str, port: int) -> socket.socket:
    """One socket for every interface, as Go listens: dual-stack where the system can."""
    if socket.has_dualstack_ipv6():
        return socket.create_server(
            ("::", port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=100
        )
    if host == "::":
        return socket.create_server(("::", port), family=socket.AF_INET6, backlog=100)
    return socket.create_server(("0.0.0.0", port), backlog=100)


async def _dial(targets: list[Target]) -> tuple[asyncio.Transport, Side]:
    """Connect to the first of ``targets`` that answers (the resolver's order)."""
    loop = asyncio.get_running_loop()
    error: OSError = OSError("the upstream resolved to no address")
    for target in targets:
        try:
            return await loop.create_connection(Side, target.dial_host, target.address[1])
        except OSError as exc:
            error = exc
    raise error

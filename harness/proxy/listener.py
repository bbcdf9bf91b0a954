"""One proxy: its listening socket, its accept loop and its open connections."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

from harness.proxy.addr import bind_host, format_addr, normalize_listen, split_hostport
from harness.proxy.chain import ToxicChain
from harness.proxy.connection import Connection, Side
from harness.proxy.errors import ApiError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


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
        loops: Callable[[Proxy], bool] = lambda proxy: False,
    ) -> None:
        self.name = name
        self._loops = loops  # does the upstream lead back to this proxy?
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.chain = ToxicChain(name, seed)
        self.conns: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self._connecting: set[asyncio.Task[None]] = set()
        self._serial = 0

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
            server = await loop.create_server(
                lambda: _ClientSide(self),
                host=bound if bound is not None else "::",
                port=port,
                reuse_address=True,
                family=socket.AF_INET6 if bound is None else socket.AF_UNSPEC,
            )
        except OSError as exc:
            # Toxiproxy answers 500 here; say which address and why.
            raise ApiError(500, f"listen tcp {self.listen}: {exc.strerror or exc}") from None
        self._server = server
        self.listen = format_addr(server.sockets[0].getsockname())
        self.enabled = True

    async def stop(self) -> None:
        """Stop listening and drop every connection (a 'down' link)."""
        self.enabled = False
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

    # -- accepting --------------------------------------------------------
    def _accepted(self, client: _ClientSide) -> None:
        if not self.enabled:
            if client.transport is not None:
                client.transport.abort()
            return
        if self._loops(self):
            # Dialling would accept a connection that dials again, without end.
            log.warning("proxy %s: upstream %s leads back to it", self.name, self.upstream)
            if client.transport is not None:
                client.transport.close()
            return
        self._serial += 1
        task = asyncio.get_running_loop().create_task(self._connect(client, self._serial))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _connect(self, client: Side, serial: int) -> None:
        host, port = split_hostport(self.upstream, "upstream", allow_port_zero=False)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                transport, server = await loop.create_connection(Side, host, port)
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
        conn = Connection(serial, client, server, self.chain, self.conns.discard)
        self.conns.add(conn)
        conn.start()

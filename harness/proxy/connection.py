"""One proxied TCP connection: the client socket, the upstream socket and a link each way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from harness.proxy.link import Endpoint, ToxicLink

if TYPE_CHECKING:
    from harness.proxy.chain import ToxicChain

log = logging.getLogger(__name__)

WRITE_HIGH_WATER = 1024 * 1024
_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class Side(asyncio.Protocol):
    """One socket of a connection. Reading starts paused until both sides are wired."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.out: ToxicLink | None = None  # the link this side's bytes go into
        self.conn: Connection | None = None
        self.lost = False  # fully gone (reset or closed), not merely half-closed
        self.read_eof = False
        self.write_closed = False
        self.pause_reasons: set[object] = set()
        self.on_lost: Callable[[], None] | None = None
        self.early: list[bytes] = []  # received before the side was wired

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's does not subclass asyncio.Transport).
        self.transport = cast(asyncio.Transport, transport)
        # Bulk data: fewer pause/resume round trips than asyncio's 64 KiB default.
        self.transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        if self.conn is None:
            # Not wired to its other side yet. (uvloop may call this only after
            # create_connection has returned and the side was wired.)
            self.pause_reasons.add("wiring")
            self.transport.pause_reading()
            # uvloop starts reading after connection_made returns: pause again then.
            asyncio.get_running_loop().call_soon(self._repause)

    def _repause(self) -> None:
        transport = self.transport
        if self.pause_reasons and transport is not None and not transport.is_closing():
            transport.pause_reading()

    def data_received(self, data: bytes) -> None:
        out = self.out
        if out is not None:
            out.feed(data)
        else:
            self.early.append(data)  # kept for the link: not a byte is lost

    def eof_received(self) -> bool:
        self.read_eof = True
        if self.out is not None:
            self.out.feed_end()
        return True  # keep the socket open for the other direction

    def wire(self, conn: Connection, out: ToxicLink) -> None:
        self.conn, self.out = conn, out
        early, self.early = self.early, []
        for data in early:
            out.feed(data)
        if self.read_eof:
            out.feed_end()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.conn is not None:
            self.conn.side_lost(self)
        elif self.on_lost is not None:
            self.on_lost()

    def pause_writing(self) -> None:
        if self.conn is not None:
            self.conn.write_paused(self, True)

    def resume_writing(self) -> None:
        if self.conn is not None:
            self.conn.write_paused(self, False)

    # -- reading control, for several independent reasons ----------------
    def hold(self, reason: object, on: bool) -> None:
        before = bool(self.pause_reasons)
        if on:
            self.pause_reasons.add(reason)
        else:
            self.pause_reasons.discard(reason)
        after = bool(self.pause_reasons)
        transport = self.transport
        if transport is None or before == after or self.lost or transport.is_closing():
            return
        if after:
            transport.pause_reading()
        else:
            transport.resume_reading()


class Connection(Endpoint):
    """Joins two sides; knows how each way ends (half-close, toxic close, reset, cut)."""

    def __init__(
        self,
        serial: int,
        client: Side,
        server: Side,
        chain: ToxicChain,
        on_closed: Callable[[Connection], None],
    ) -> None:
        self.serial = serial
        self.client, self.server = client, server
        self.chain = chain
        self._on_closed = on_closed
        self.closed = False  # no more data moves; sockets may still be flushing
        self.gone = False  # both sockets closed; the proxy forgets the connection
        self.upstream = ToxicLink(self, "upstream", lambda s: chain.rng_for(serial, "upstream", s))
        self.downstream = ToxicLink(
            self, "downstream", lambda s: chain.rng_for(serial, "downstream", s)
        )
        self._src = {self.upstream: client, self.downstream: server}
        self._dst = {self.upstream: server, self.downstream: client}
        self._done: set[ToxicLink] = set()

    def start(self) -> None:
        """Wire both sides and start reading (the caller holds the chain's current toxics)."""
        self.chain.attach(self)
        self.client.wire(self, self.upstream)
        self.server.wire(self, self.downstream)
        for side in (self.client, self.server):
            if side.lost:
                self.side_lost(side)
                return
        for side in (self.client, self.server):
            side.hold("wiring", False)

    def links(self) -> tuple[ToxicLink, ToxicLink]:
        return self.upstream, self.downstream

    # -- Endpoint: what links ask of their connection ---------------------
    def write(self, link: ToxicLink, data: bytes) -> None:
        transport = self._dst[link].transport
        if (
            transport is not None
            and not transport.is_closing()
            and not self._dst[link].write_closed
        ):
            transport.write(data)

    def end(self, link: ToxicLink, abrupt: bool) -> None:
        if abrupt:
            self.close()
            return
        self._done.add(link)
        dst = self._dst[link]
        transport = dst.transport
        if self._src[link].lost or len(self._done) == 2 or transport is None:
            # The source is gone, or both ways have ended: nothing more can flow.
            self.close()
        elif not dst.write_closed and transport.can_write_eof():
            dst.write_closed = True
            transport.write_eof()

    def reset(self) -> None:
        for side in (self.client, self.server):
            transport = side.transport
            if transport is None or side.lost:
                continue
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        self.abort()

    def throttle(self, link: ToxicLink, paused: bool) -> None:
        self._src[link].hold(("queued", link.stream), paused)

    # -- events from the sides --------------------------------------------
    def write_paused(self, side: Side, paused: bool) -> None:
        # The peer reads slower than the other side writes: stop reading the other side.
        source = self.server if side is self.client else self.client
        source.hold("peer-slow", paused)

    def side_lost(self, side: Side) -> None:
        if self.closed:
            self._maybe_gone()
            return
        link = side.out
        if link is not None and not side.read_eof:
            side.read_eof = True
            link.feed_end()  # in-flight data still reaches the other side, then it closes
        other = self.server if side is self.client else self.client
        if other.lost:
            self._finish()

    # -- teardown -----------------------------------------------------------
    def close(self) -> None:
        """Flush what each socket has buffered, then close both (FIN)."""
        for side in (self.client, self.server):
            if side.transport is not None:
                side.transport.close()
        self._finish()

    def abort(self) -> None:
        """Close both sockets at once, dropping buffered data (a cut link)."""
        for side in (self.client, self.server):
            if side.transport is not None:
                side.transport.abort()
        self._finish()

    def _finish(self) -> None:
        if not self.closed:
            self.closed = True
            for link in self.links():
                link.cancel()
            self.chain.detach(self)
        self._maybe_gone()

    def _maybe_gone(self) -> None:
        if self.gone or not (self.client.lost and self.server.lost):
            return
        self.gone = True
        self._on_closed(self)

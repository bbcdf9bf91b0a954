"""One direction of one connection: source bytes through a chain of toxic stages to a sink.

With no active toxic the link is a straight call from the source's
``data_received`` to the destination's ``write``: no task, no copy, no queue.
A toxic that is added, changed or removed while the connection is open is
spliced in or out without losing or reordering a byte (see ``harness.proxy.stage``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.proxy.stage import END, EndOfStream, Item, Receiver, Stage
from harness.proxy.toxics.base import Chunk

if TYPE_CHECKING:
    from harness.proxy.chain import ToxicSpec

# Queued bytes in a link's stages above which reading from the source pauses,
# and below which it resumes: TCP back-pressure instead of unbounded memory.
HIGH_WATER = 4 * 1024 * 1024
LOW_WATER = 1024 * 1024


class Endpoint:
    """What a link needs from its connection (implemented by ``Connection``)."""

    def write(self, link: ToxicLink, data: bytes) -> None: ...
    def end(self, link: ToxicLink, abrupt: bool) -> None: ...
    def reset(self) -> None: ...
    def throttle(self, link: ToxicLink, paused: bool) -> None: ...


class Sink:
    """The end of a chain: hands bytes to the destination socket."""

    def __init__(self, link: ToxicLink) -> None:
        self.link = link

    def put(self, item: Item) -> None:
        link = self.link
        if isinstance(item, EndOfStream):
            link.endpoint.end(link, item.abrupt)
        else:
            link.account(-len(item.data))
            link.endpoint.write(link, item.data)


class ToxicLink:
    """One direction ("upstream": client to server, "downstream": back) of one connection."""

    def __init__(
        self,
        endpoint: Endpoint,
        stream: str,
        rng_for: Callable[[ToxicSpec], random.Random],
    ) -> None:
        self.endpoint = endpoint
        self.stream = stream
        self.sink = Sink(self)
        self.stages: list[Stage] = []
        self.head: Receiver = self.sink
        self.pending = 0  # bytes inside stages
        self.paused = False
        self._rng_for = rng_for
        self._loop = asyncio.get_running_loop()

    # -- data from the source ---------------------------------------------
    def feed(self, data: bytes) -> None:
        head = self.head
        if head is self.sink:
            self.endpoint.write(self, data)
            return
        self.account(len(data))
        head.put(Chunk(data, self._loop.time()))

    def feed_end(self) -> None:
        self.head.put(END)

    def account(self, delta: int) -> None:
        self.pending += delta
        if not self.paused and self.pending > HIGH_WATER:
            self.paused = True
            self.endpoint.throttle(self, True)
        elif self.paused and self.pending < LOW_WATER:
            self.paused = False
            self.endpoint.throttle(self, False)

    # -- chain changes (called by ToxicChain, on the loop) ----------------
    def add(self, spec: ToxicSpec) -> None:
        stage = Stage(self, spec, self._rng_for(spec))
        if self.stages:
            self.stages[-1].next = stage
        else:
            self.head = stage
        self.stages.append(stage)
        stage.start()

    def update(self, spec: ToxicSpec) -> None:
        for stage in self.stages:
            if stage.spec.name == spec.name:
                stage.restart(spec)

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.spec.name == name), None)

    def splice_out(self, stage: Stage) -> None:
        """Take a halted stage (its tasks done) out of the chain, its queue passed on."""
        if stage not in self.stages:
            return
        if stage.active and not stage.ended:
            stage.toxic.on_remove(stage)
        index = self.stages.index(stage)
        if index == 0:
            self.head = stage.next
        else:
            self.stages[index - 1].next = stage.next
        del self.stages[index]
        while stage.inbox:
            stage.next.put(stage.inbox.popleft())

    def cancel(self) -> None:
        for stage in self.stages:
            stage.cancel()

"""One toxic on one link: its queue, its running ``pipe``, and the ``Stub`` it talks to.

A cancelled ``pipe`` (the toxic was updated or removed) puts the chunk it held
back at the front of its queue, so the next configuration, or the next stage,
gets it: no byte is lost or reordered, whatever the toxic was doing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from harness.proxy.toxics.base import Chunk, Toxic

if TYPE_CHECKING:
    from harness.proxy.chain import ToxicSpec
    from harness.proxy.link import ToxicLink

log = logging.getLogger(__name__)


class EndOfStream:
    """End-of-stream marker in a queue; ``abrupt`` when a toxic closed the connection."""

    __slots__ = ("abrupt",)

    def __init__(self, abrupt: bool) -> None:
        self.abrupt = abrupt


END = EndOfStream(False)
CLOSE = EndOfStream(True)
Item = Chunk | EndOfStream


class Receiver(Protocol):
    """The next stage of a chain, or its sink."""

    def put(self, item: Item) -> None: ...


class Stage:
    """One toxic on one link; the ``Stub`` a toxic's ``pipe`` talks to.

    A cancelled ``pipe`` (update or removal) puts the chunk it held back at the
    front of its queue, so the next configuration, or the next stage, gets it.
    """

    def __init__(self, link: ToxicLink, spec: ToxicSpec, rng: random.Random) -> None:
        self.link = link
        self.spec = spec
        self.toxic: Toxic = spec.toxic
        self.rng = rng
        self.state: Any = spec.toxic.new_state()
        self.next: Receiver = link.sink
        self.inbox: deque[Item] = deque()
        self.held: Item | None = None
        self.active = False  # the toxicity draw: does the toxic act on this link?
        self.ended = False  # the toxic closed or reset the stream; input is discarded
        self.holding = False  # being removed: queue input even with no toxic running
        self._respawning = False  # restarted: a new pipe starts when the old one is done
        self._waiter: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.get_running_loop()

    # -- the queue --------------------------------------------------------
    def put(self, item: Item) -> None:
        if self.ended:
            if isinstance(item, Chunk):
                self.link.account(-len(item.data))
            return
        if not self._tasks and not self.holding and not self._respawning:
            self.next.put(item)  # inactive: transparent
            return
        self.inbox.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _flush(self) -> None:
        while self.inbox and not self.ended:
            self.next.put(self.inbox.popleft())

    # -- lifecycle --------------------------------------------------------
    def start(self) -> None:
        self._spawn()

    def restart(self, spec: ToxicSpec) -> None:
        """Apply a changed configuration; toxicity is drawn again, as Toxiproxy does.

        The new pipe starts when the old one has put its held chunk back (a done
        callback, not a task waiting: updates touch every open connection)."""
        self.spec, self.toxic = spec, spec.toxic
        if self._respawning:
            return  # a start is already due once the old pipe is done: it takes this spec
        previous = list(self._tasks)
        if not previous:
            self._spawn()
            return
        self._respawning = True
        remaining = len(previous)

        def done(task: asyncio.Task[None]) -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0 and self._respawning:
                self._respawning = False
                if not self.holding:
                    self._spawn()

        for task in previous:
            task.cancel()
            task.add_done_callback(done)

    def _spawn(self) -> None:
        task = self._loop.create_task(self._run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def halt(self) -> list[asyncio.Task[None]]:
        """Cancel the toxic; its held chunk is back in the queue once the tasks returned
        are done. Input queues meanwhile (so one wait can cover many stages)."""
        self.holding = True
        self._respawning = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    def cancel(self) -> None:
        self._respawning = False
        for task in self._tasks:
            task.cancel()

    async def _run(self) -> None:
        if self.ended:
            return
        self.active = self.rng.random() < self.spec.toxicity
        if not self.active:
            self._tasks.discard(asyncio.current_task())
            self._flush()
            return
        try:
            await self.toxic.pipe(self)
        except asyncio.CancelledError:
            if self.held is not None:
                self.inbox.appendleft(self.held)
                self.held = None
            raise
        except Exception:
            log.exception("toxic %s failed; closing its connection", self.spec.name)
            self.close()
            return
        if self.ended:
            return
        held, self.held = self.held, None
        if isinstance(held, EndOfStream):
            self.next.put(held)
            return
        # pipe returned early: the stage turns transparent rather than stall the stream.
        if held is not None:
            self.next.put(held)
        self._tasks.discard(asyncio.current_task())
        self._flush()

    # -- the Stub interface used by toxics --------------------------------
    async def recv(self) -> Chunk | None:
        if self.held is not None:
            raise RuntimeError(f"toxic {self.spec.type} must forward or drop a chunk before recv")
        while not self.inbox:
            await self._wait(None)
        item = self.held = self.inbox.popleft()
        return None if isinstance(item, EndOfStream) else item

    async def wait_input(self, timeout: float | None) -> bool:
        if not self.inbox:
            await self._wait(timeout)
        return bool(self.inbox)

    async def _wait(self, timeout: float | None) -> None:
        waiter = self._waiter = self._loop.create_future()
        timer = None
        if timeout is not None:
            timer = self._loop.call_later(max(timeout, 0.0), _settle, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def forward(self, n: int | None = None, ts: float | None = None) -> None:
        held = self.held
        if not isinstance(held, Chunk):
            raise RuntimeError(f"toxic {self.spec.type} forwarded without holding a chunk")
        if n is None or n >= len(held.data):
            self.held = None
            out = held if ts is None else Chunk(held.data, ts)
        else:
            out = Chunk(held.data[:n], held.ts if ts is None else ts)
            self.held = Chunk(held.data[n:], held.ts)
        self.next.put(out)

    def replace(self, data: bytes) -> None:
        """Rewrite the held chunk's bytes (a toxic that alters data), keeping its time."""
        held = self.held
        if not isinstance(held, Chunk):
            raise RuntimeError(f"toxic {self.spec.type} replaced data without holding a chunk")
        self.link.account(len(data) - len(held.data))
        self.held = Chunk(bytes(data), held.ts)

    def drop(self) -> None:
        if isinstance(self.held, Chunk):
            self.link.account(-len(self.held.data))
            self.held = None

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def now(self) -> float:
        return self._loop.time()

    def close(self) -> None:
        """End the stream here and close the connection once what went ahead is delivered."""
        if self.ended:
            return
        self._discard_input()
        self.next.put(CLOSE)

    def reset(self) -> None:
        """Close both peers' sockets with a TCP RST, dropping what is in flight."""
        if self.ended:
            return
        self._discard_input()
        self.link.endpoint.reset()

    def _discard_input(self) -> None:
        self.ended = True
        self.drop()
        self.held = None
        while self.inbox:
            item = self.inbox.popleft()
            if isinstance(item, Chunk):
                self.link.account(-len(item.data))


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)

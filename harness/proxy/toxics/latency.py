"""latency: delay each chunk by ``latency`` ms, plus or minus ``jitter`` ms (seeded)."""

from __future__ import annotations

import random

from harness.proxy.toxics.base import DAY_MS, Attr, Stub, Toxic, register


@register
class Latency(Toxic):
    type_name = "latency"
    attrs = (Attr("latency", 0, 0, DAY_MS, "ms"), Attr("jitter", 0, 0, DAY_MS, "ms"))
    example = {"latency": 400}

    def delay_s(self, rng: random.Random) -> float:
        delay = self["latency"]
        jitter = self["jitter"]
        if jitter:
            delay += rng.randrange(-jitter, jitter)
        return max(delay, 0) / 1000.0

    async def pipe(self, stub: Stub) -> None:
        while (chunk := await stub.recv()) is not None:
            # Measured from arrival, so queued chunks do not add up: latency
            # delays the stream, it does not throttle it.
            wait = chunk.ts + self.delay_s(stub.rng) - stub.now()
            if wait > 0:
                await stub.sleep(wait)
            # Re-stamped, so a second latency toxic in the chain adds its own delay.
            stub.forward(ts=stub.now())

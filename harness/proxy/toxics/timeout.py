"""timeout: let no data through; close the connection after ``timeout`` ms (0: never).

As in Toxiproxy the data is discarded, not queued, and removing the toxic closes
the connections it was holding: their streams have lost bytes and cannot go on.
With timeout 0 this is a black hole: a request goes out, its reply never arrives.
"""

from __future__ import annotations

from harness.proxy.toxics.base import DAY_MS, Attr, Stub, Toxic, register


@register
class Timeout(Toxic):
    type_name = "timeout"
    attrs = (Attr("timeout", 0, 0, DAY_MS, "ms"),)
    example = {"timeout": 0}  # swallows the data until removed

    async def pipe(self, stub: Stub) -> None:
        timeout_s = self["timeout"] / 1000.0
        deadline = stub.now() + timeout_s if timeout_s else None
        while True:
            left = None if deadline is None else deadline - stub.now()
            if (left is not None and left <= 0) or not await stub.wait_input(left):
                stub.close()
                return
            if await stub.recv() is None:
                return
            stub.drop()

    def on_remove(self, stub: Stub) -> None:
        stub.close()

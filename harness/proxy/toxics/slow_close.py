"""slow_close: hold the end of the stream for ``delay`` ms before passing it on."""

from __future__ import annotations

from harness.proxy.toxics.base import DAY_MS, Attr, Stub, Toxic, register


@register
class SlowClose(Toxic):
    type_name = "slow_close"
    attrs = (Attr("delay", 0, 0, DAY_MS, "ms"),)
    example = {"delay": 400}

    async def pipe(self, stub: Stub) -> None:
        while await stub.recv() is not None:
            stub.forward()
        await stub.sleep(self["delay"] / 1000.0)

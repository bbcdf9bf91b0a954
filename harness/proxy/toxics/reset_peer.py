"""reset_peer: on the first data (or end), wait ``timeout`` ms, then reset both peers (RST)."""

from __future__ import annotations

from harness.proxy.toxics.base import DAY_MS, Attr, Stub, Toxic, register


@register
class ResetPeer(Toxic):
    type_name = "reset_peer"
    attrs = (Attr("timeout", 0, 0, DAY_MS, "ms"),)
    example = {"timeout": 0}

    async def pipe(self, stub: Stub) -> None:
        await stub.wait_input(None)
        if await stub.recv() is not None:
            stub.drop()
        await stub.sleep(self["timeout"] / 1000.0)
        stub.reset()

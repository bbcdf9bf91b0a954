"""limit_data: pass the first ``bytes`` bytes of the connection, then close it."""

from __future__ import annotations

from dataclasses import dataclass

from harness.proxy.toxics.base import Attr, Stub, Toxic, register


@dataclass
class _Sent:
    count: int = 0  # per connection, kept across updates of the toxic


@register
class LimitData(Toxic):
    type_name = "limit_data"
    attrs = (Attr("bytes", 0, 0, unit="bytes"),)
    example = {"bytes": 100}

    def new_state(self) -> _Sent:
        return _Sent()

    async def pipe(self, stub: Stub) -> None:
        sent: _Sent = stub.state
        while (chunk := await stub.recv()) is not None:
            n = min(len(chunk.data), max(self["bytes"] - sent.count, 0))
            if n:
                stub.forward(n)
                sent.count += n
            if sent.count >= self["bytes"]:
                stub.drop()
                stub.close()
                return

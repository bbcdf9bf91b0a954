"""bandwidth: pass at most ``rate`` KB/s (1 KB = 1000 bytes, as Toxiproxy counts)."""

from __future__ import annotations

from harness.proxy.toxics.base import Attr, Stub, Toxic, register

# A piece is at most 100 ms worth of bytes, so a slow rate still trickles.
_PIECE_S = 0.1


@register
class Bandwidth(Toxic):
    type_name = "bandwidth"
    # Toxiproxy treats rate 0 as "no limit": a bandwidth toxic that does
    # nothing is a mistake, so it needs a positive rate here.
    attrs = (Attr("rate", None, 1, 10**9, "KB/s"),)
    example = {"rate": 1}  # 400 bytes at 1 KB/s: 0.4 s

    async def pipe(self, stub: Stub) -> None:
        bytes_per_s = self["rate"] * 1000
        piece = max(1, int(bytes_per_s * _PIECE_S))
        free_at = stub.now()
        while (chunk := await stub.recv()) is not None:
            left = len(chunk.data)
            while left:
                n = min(left, piece)
                free_at = max(free_at, stub.now()) + n / bytes_per_s
                wait = free_at - stub.now()
                if wait > 0:
                    await stub.sleep(wait)
                stub.forward(n)
                left -= n

"""slicer: cut each chunk into pieces of about ``average_size`` +/- ``size_variation``
bytes, ``delay`` microseconds apart (seeded), to exercise partial reads."""

from __future__ import annotations

import random
from collections.abc import Mapping

from harness.proxy.toxics.base import DAY_MS, Attr, Stub, Toxic, ToxicError, register


@register
class Slicer(Toxic):
    type_name = "slicer"
    attrs = (
        Attr("average_size", None, 1, 2**31 - 1, "bytes"),
        Attr("size_variation", 0, 0, 2**31 - 1, "bytes"),
        Attr("delay", 0, 0, DAY_MS * 1000, "us"),
    )
    example = {"average_size": 10, "delay": 10_000}  # 400 bytes in 40 slices 10 ms apart

    @classmethod
    def check(cls, values: Mapping[str, int]) -> None:
        # Toxiproxy accepts a variation up to the average. Above it a split point
        # can fall before the piece's start (Go panics on the slice); an average
        # of 0 splits a 1-byte piece into 0 + 1 without end (refused by its minimum).
        if values["size_variation"] > values["average_size"]:
            raise ToxicError(
                "attribute 'size_variation' must not exceed 'average_size' "
                f"(got {values['size_variation']} > {values['average_size']})"
            )

    def sizes(self, total: int, rng: random.Random) -> list[int]:
        """Piece sizes for ``total`` bytes: halve (+/- variation) until a piece is
        within the variation of the average, as Toxiproxy's slicer does."""
        avg, var = self["average_size"], self["size_variation"]
        out: list[int] = []
        todo = [total]
        while todo:
            size = todo.pop()
            if size - avg <= var:
                if size:  # variation == average can split off an empty piece: skip it
                    out.append(size)
                continue
            left = size // 2 + (rng.randrange(-var, var) if var else 0)
            todo.extend((size - left, left))  # popped left first: order kept
        return out

    async def pipe(self, stub: Stub) -> None:
        delay_s = self["delay"] / 1e6
        while (chunk := await stub.recv()) is not None:
            for i, size in enumerate(self.sizes(len(chunk.data), stub.rng)):
                stub.forward(size)
                if delay_s:
                    await stub.sleep(delay_s)
                elif i % 256 == 255:
                    await stub.sleep(0)  # tiny pieces of a big chunk: let the API run too

"""Seeded randomness: one independent, reproducible stream per use.

Each toxic on each connection gets its own generator, derived from the server
seed and stable names (proxy, connection number, stream, toxic), so what one
connection draws does not depend on what others drew or when: a run replays.
"""

from __future__ import annotations

import hashlib
import random


def derive(seed: int, *parts: object) -> random.Random:
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))

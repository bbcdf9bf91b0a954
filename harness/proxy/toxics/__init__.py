"""Toxic kinds, one per module, each registered under its Toxiproxy name."""

from harness.proxy.toxics import (  # noqa: F401  (imported to register)
    bandwidth,
    latency,
    limit_data,
    reset_peer,
    slicer,
    slow_close,
    timeout,
)
from harness.proxy.toxics.base import (
    Chunk,
    Stub,
    Toxic,
    ToxicError,
    register,
    toxic_class,
    toxic_names,
)

__all__ = [
    "Chunk",
    "Stub",
    "Toxic",
    "ToxicError",
    "register",
    "toxic_class",
    "toxic_names",
]

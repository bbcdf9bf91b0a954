"""Input checks that run before any statement, so bad input writes nothing."""

from __future__ import annotations

import math
import uuid

from reference_impl.agt.errors import InvalidArgument


def agent_id(value: object) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise InvalidArgument(f"agent id must be a UUID string, got {type(value).__name__}")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(f"agent id {value[:64]!r} is not a UUID") from None


def command_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"command id must be a positive integer, got {value!r}")
    return value


def hostname(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 253 or not value.isprintable():
        raise InvalidArgument("hostname must be 1 to 253 printable characters")
    return value


def seconds(name: str, value: object, *, allow_zero: bool = True) -> float:
    """A duration in seconds: finite, not negative (positive unless ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgument(f"{name} must be finite and {bound} seconds, got {value!r}")
    return float(value)

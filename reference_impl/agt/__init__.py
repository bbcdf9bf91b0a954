"""The agent command server (seed 000): reference implementation of AGT-1..AGT-9.

Each fix has a ``fixed`` and a ``prefix`` variant, chosen at run time through
``Variants`` (in a ``Deployment``, or ``AGT_VARIANTS`` for server processes).
Operations live one per module under ``ops``; ``migrate`` owns the schema.
"""

from __future__ import annotations

from reference_impl.agt.clock import Clock, ManualClock, SystemClock
from reference_impl.agt.config import Deployment
from reference_impl.agt.errors import (
    AgtError,
    InvalidArgument,
    InvalidToken,
    MigrationError,
    RateLimited,
    TokenExpired,
    UnknownAgent,
    UnknownCommand,
)
from reference_impl.agt.ops.ack import acknowledge
from reference_impl.agt.ops.issue import enqueue_command, issue_registration_token
from reference_impl.agt.ops.poll import Command, poll
from reference_impl.agt.ops.register import Registration, register
from reference_impl.agt.ops.renew import Renewal, renew
from reference_impl.agt.ops.revoke import revoke_refresh_tokens
from reference_impl.agt.variants import FIX_IDS, FIXED, Variants

__all__ = [
    "FIXED",
    "FIX_IDS",
    "AgtError",
    "Clock",
    "Command",
    "Deployment",
    "InvalidArgument",
    "InvalidToken",
    "ManualClock",
    "MigrationError",
    "RateLimited",
    "Registration",
    "Renewal",
    "SystemClock",
    "TokenExpired",
    "UnknownAgent",
    "UnknownCommand",
    "Variants",
    "acknowledge",
    "enqueue_command",
    "issue_registration_token",
    "poll",
    "register",
    "renew",
    "revoke_refresh_tokens",
]

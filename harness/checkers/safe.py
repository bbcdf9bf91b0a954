"""Jepsen's check-safe: a check that raises decides nothing (UNKNOWN), never passes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.errors import HarnessError
from harness.verdict import Verdict


def check_safe(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Verdict:
    """``fn(*args, **kwargs)`` as a Verdict: an exception or a non-Verdict is UNKNOWN.

    A ``HarnessError`` (bad parameters: the caller's mistake) propagates, so it is
    seen and fixed rather than reported as an undecided check."""
    try:
        verdict = fn(*args, **kwargs)
    except HarnessError:
        raise
    except Exception as exc:
        return Verdict.unknown(name, f"{name} raised {type(exc).__name__}: {exc}", error=repr(exc))
    if not isinstance(verdict, Verdict):
        return Verdict.unknown(name, f"{name} returned {type(verdict).__name__}, not a Verdict")
    return verdict

"""The checker registry: one small checker per file, each registering itself.

@register("at_most_once", example={"f": "deliver"})
def at_most_once(history, *, f="deliver", key=None) -> Verdict: ...

get_checker("at_most_once")(history, f="poll")       # a Verdict, never an exception
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.checkers.safe import check_safe
from harness.errors import ConfigError
from harness.history import History
from harness.registry import Registry
from harness.verdict import Verdict

CheckerFn = Callable[..., Verdict]


@dataclass(frozen=True)
class Checker:
    """A registered checker; calling it validates parameters and never passes by raising."""

    name: str
    fn: CheckerFn
    #: parameters valid on any history, used by the conformance test
    example: Mapping[str, Any] = field(default_factory=dict)
    #: conformance examples: (history JSON, params, expected validity "valid"/"invalid")
    examples: tuple[Any, ...] = ()

    @functools.cached_property
    def params(self) -> tuple[str, ...]:
        # Cached: a power-cut exploration calls a checker once per crash state (thousands),
        # and inspect.signature cost more than the checks themselves.
        sig = inspect.signature(self.fn)
        return tuple(p for p in sig.parameters if p != "history")

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip().split("\n")[0]

    def __call__(self, history: History, **params: Any) -> Verdict:
        if not isinstance(history, History):
            raise ConfigError(
                f"checker {self.name!r} takes a History, got {type(history).__name__}"
            )
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ConfigError(
                f"checker {self.name!r} has no parameter {', '.join(unknown)}; "
                f"it takes: {', '.join(self.params) or 'nothing'}"
            )
        verdict = check_safe(self.name, self.fn, history, **params)
        if verdict.checker != self.name:
            verdict = Verdict(self.name, verdict.validity, verdict.summary, verdict.evidence)
        return verdict


#: Third parties add checkers through entry points of ``fault_harness.checkers``
#: (a module whose import registers them).
CHECKERS: Registry[Checker] = Registry(
    "checker",
    group="fault_harness.checkers",
    same=lambda a, b: a.fn is b.fn or _same_source(a.fn, b.fn),
)


def _same_source(a: CheckerFn, b: CheckerFn) -> bool:
    # One module imported under two names (a test file run directly): the same checker.
    return (a.__module__.rsplit(".", 1)[-1], a.__qualname__) == (
        b.__module__.rsplit(".", 1)[-1],
        b.__qualname__,
    ) and inspect.getsourcefile(a) == inspect.getsourcefile(b)


def register(
    name: str, *, example: Mapping[str, Any] | None = None, examples: Any = None
) -> Callable[[CheckerFn], CheckerFn]:
    """Register ``fn(history, **params) -> Verdict`` as ``name``. ``example``: parameters valid
    on any history (the conformance test runs it on empty and odd histories); ``examples``:
    conformance cases ``[(history_json, params, "valid"|"invalid"), ...]``."""

    def decorate(fn: CheckerFn) -> CheckerFn:
        CHECKERS.add(name, Checker(name, fn, dict(example or {}), tuple(examples or ())))
        return fn

    return decorate


def get_checker(name: str) -> Checker:
    return CHECKERS.get(name)


def checkers() -> list[str]:
    """Names of every registered checker, sorted (third parties' included)."""
    return CHECKERS.names()


def check(name: str, history: History, **params: Any) -> Verdict:
    """Shorthand for ``get_checker(name)(history, **params)``."""
    return get_checker(name)(history, **params)

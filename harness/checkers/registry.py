"""The checker registry: one small checker per file, each registering itself.

@register("at_most_once", example={"f": "deliver"})
def at_most_once(history, *, f="deliver", key=None) -> Verdict: ...

get_checker("at_most_once")(history, f="poll")       # a Verdict, never an exception
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.checkers.safe import check_safe
from harness.errors import ConfigError, UnknownName
from harness.history import History
from harness.verdict import Verdict

CheckerFn = Callable[..., Verdict]


@dataclass(frozen=True)
class Checker:
    """A registered checker; calling it validates parameters and never passes by raising."""

    name: str
    fn: CheckerFn
    #: parameters valid on any history, used by the conformance test
    example: Mapping[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> tuple[str, ...]:
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


_REGISTRY: dict[str, Checker] = {}


def register(
    name: str, *, example: Mapping[str, Any] | None = None
) -> Callable[[CheckerFn], CheckerFn]:
    def decorate(fn: CheckerFn) -> CheckerFn:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ConfigError(f"checker {name!r} is registered twice; pick another name")
        _REGISTRY[name] = Checker(name, fn, dict(example or {}))
        return fn

    return decorate


def get_checker(name: str) -> Checker:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownName("checker", name, list(_REGISTRY)) from None


def checkers() -> list[str]:
    """Names of every registered checker, sorted."""
    return sorted(_REGISTRY)


def check(name: str, history: History, **params: Any) -> Verdict:
    """Shorthand for ``get_checker(name)(history, **params)``."""
    return get_checker(name)(history, **params)

"""One registry shape for every pluggable kind: checkers, toxics, backends, blocking detectors.

    CHECKERS = Registry[Checker]("checker", group="fault_harness.checkers")
    CHECKERS.add("at_most_once", checker)      # a second "at_most_once" is an error
    CHECKERS.get("at_most_one")                # unknown checker 'at_most_one'; known: ...

Third parties register through entry points of the registry's ``group``: the entry
point names a module (importing it registers its kinds) or the object itself.
They are loaded the first time a name is not found or the names are listed. A plugin
that cannot be imported (its package is not installed: the project's own scenario
checkers, declared by this distribution, exist only in a checkout) does not break the
others: it is named, with its error, when a name it might have held is asked for.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from harness.errors import ConfigError, UnknownName

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(
        self, kind: str, *, group: str, same: Callable[[T, T], bool] | None = None
    ) -> None:
        self.kind = kind
        self.group = group
        self._items: dict[str, T] = {}
        self._same = same or (lambda a, b: a is b)
        self._loaded = False
        self._broken: dict[str, str] = {}  # plugin -> why it did not load
        self._lock = threading.RLock()

    def add(self, name: str, item: T) -> T:
        """Register ``item`` as ``name``; a different item under a taken name is an error."""
        if not isinstance(name, str) or not name:
            raise ConfigError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        with self._lock:
            old = self._items.get(name)
            if old is not None and not self._same(old, item):
                raise ConfigError(f"{self.kind} {name!r} is registered twice; pick another name")
            self._items[name] = item
        return item

    def remove(self, name: str) -> None:
        """Forget ``name`` (a test's throwaway kind); an unknown name is fine."""
        self.pop(name, None)

    def pop(self, name: str, default: T | None = None) -> T | None:
        with self._lock:
            return self._items.pop(name, default)

    def get(self, name: str) -> T:
        item = self._items.get(name)
        if item is None:
            self.load_entry_points()
            item = self._items.get(name)
        if item is None:
            error = UnknownName(self.kind, name, self.names())
            if self._broken:
                why = "; ".join(f"{ep} {reason}" for ep, reason in sorted(self._broken.items()))
                error.args = (f"{error.args[0]} (plugins that failed to load: {why})",)
            raise error
        return item

    def names(self) -> list[str]:
        self.load_entry_points()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def load_entry_points(self) -> None:
        """Import what third parties declared under ``group`` (once)."""
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            for ep in entry_points(group=self.group):
                try:
                    loaded = ep.load()
                except Exception as exc:
                    self._broken[f"{ep.name!r} ({ep.value})"] = f"{type(exc).__name__}: {exc}"
                    continue
                # A module registered its kinds on import; anything else is the kind itself.
                if not isinstance(loaded, types.ModuleType) and ep.name not in self._items:
                    self.add(ep.name, loaded)

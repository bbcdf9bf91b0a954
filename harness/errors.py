"""One root exception for everything the harness raises on purpose.

Messages are one line and say what to do, because the CLI prints them as they
are (no traceback) and exits non-zero.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Root of every error the harness raises deliberately."""

    #: process exit code the CLI uses for this error (2: the harness could not run).
    exit_code: int = 2


class ConfigError(HarnessError):
    """A setting, option, file or argument is wrong; the message names it and the fix."""


class BackendUnavailable(HarnessError):
    """No server of the asked kind can be had here (binary missing, engine down...)."""


class ServerError(HarnessError):
    """A server the harness started misbehaved (failed to start, died, port busy)."""


class NotOwned(HarnessError):
    """The harness was asked to kill or restart a server it did not start."""


class UnknownName(ConfigError):
    """A name (fix id, backend, toxic, checker, case id) is not registered."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.kind, self.name, self.known = kind, name, list(known)
        shown = ", ".join(sorted(self.known)) or "none"
        super().__init__(f"unknown {kind} {name!r}; known: {shown}")


def check_kwargs(target: object, kwargs: dict[str, object], where: str) -> None:
    """Keyword arguments handed on to ``target``: an unknown one is a one-line ConfigError
    naming the closest known one (a misspelling would otherwise be a TypeError traceback)."""
    import difflib
    import inspect

    known = [
        name
        for name, p in inspect.signature(target).parameters.items()  # type: ignore[arg-type]
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    for name in kwargs:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"{where} has no keyword argument {name!r}; {hint}it takes: {', '.join(known)}"
            )

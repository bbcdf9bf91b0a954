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

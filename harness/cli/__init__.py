"""The ``harness`` command. Each subcommand is a small module that registers itself.

Errors the harness raises on purpose (``HarnessError``) print as one line and
exit with their code (2 by default); nothing prints a traceback at a user.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from harness.errors import HarnessError

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    setup: Callable[[argparse.ArgumentParser], None]  # adds the subcommand's arguments
    run: Handler  # returns the exit code


_COMMANDS: dict[str, Command] = {}

# Subcommand modules, imported for their registration side effect.
_MODULES = ["doctor", "proxy", "audit", "mutate"]


def register(command: Command) -> None:
    _COMMANDS[command.name] = command


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, exit 2: the same contract as every other bad input.
        self.exit(2, f"harness: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    for mod in _MODULES:
        try:
            importlib.import_module(f"harness.cli.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"harness.cli.{mod}":
                raise
    parser = _Parser(
        prog="harness",
        description="Prove data-integrity fixes with real faults against real servers.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, cmd in sorted(_COMMANDS.items()):
        cmd.setup(sub.add_parser(name, help=cmd.help, description=cmd.help))
    return parser


class Terminated(HarnessError):
    """SIGTERM or SIGHUP outside a scenario run (which stops its children first)."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"terminated ({signal.Signals(signum).name})")


def _interruptible() -> dict[int, Any]:
    """From the first line on, SIGTERM and SIGHUP end the command like Ctrl-C does:
    one line, through every ``finally`` (nothing started is left running).
    Returns the handlers replaced, to put back."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {
        sig: signal.signal(sig, _terminated)
        for sig in (signal.SIGTERM, signal.SIGHUP)
        if signal.getsignal(sig) in (signal.SIG_DFL, None)
    }


def main(argv: Sequence[str] | None = None) -> int:
    replaced = _interruptible()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 2
        return _COMMANDS[args.command].run(args)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return 130
    finally:
        for sig, handler in replaced.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())

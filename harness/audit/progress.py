"""Progress of a run as it goes: a rich progress bar on a terminal, one line per item elsewhere."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def describe(event: dict[str, Any]) -> str:
    """``PASS  TOY-1 race_two_writers[prefix] caught`` for a scenario; pytest's word otherwise."""
    name = event["nodeid"].rsplit("::", 1)[-1]
    if "scenario_outcome" in event:
        outcome = event["scenario_outcome"]
        if event["expects_pass"] is None:
            verdict = "measured"
        elif event["meets_expectation"]:
            verdict = "as expected" if event["expects_pass"] else "caught"
        else:
            verdict = "NOT AS EXPECTED"
        label = f"{event['scenario']}[{event['variant']}]"
        return f"{outcome:<7} {event.get('fix_id') or '-':<6} {label} {verdict} ({event['cases']} cases)"
    return f"{event['outcome'].upper():<7} {event.get('fix_id') or '-':<6} {name}"


class Display:
    """Feed it the runner's events; use as a context manager around the run."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.console = Console(file=self.stream, highlight=False)
        self.live = self.console.is_terminal and not quiet
        self.done = 0
        self.total: int | None = None
        self._bar: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> Display:
        if self.live:
            self._bar = Progress(
                TextColumn("[bold]audit[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("collecting", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "collected" and self.total is None:
            self.total = len(event["items"])
        elif kind == "total" and self.total is None:
            self.total = int(event["count"])
        elif kind == "test":
            self.done += 1
            line = describe(event)
            if self._bar is not None:
                self._bar.console.print(line, markup=False, highlight=False)
            elif not self.quiet:
                width = len(str(self.total or 0))
                print(f"[{self.done:>{width}}/{self.total or '?'}] {line}", file=self.stream)
        if self._bar is not None:
            self._bar.update(
                self._task,
                total=self.total,
                completed=self.done,
                description="" if kind != "finished" else "done",
            )

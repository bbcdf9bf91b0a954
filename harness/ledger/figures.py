"""Benchmark evidence for a claim: a committed file of measured figures, compared with the
figure the seed states.

A speed figure ("100k SELECTs/sec") cannot be a pass/fail test (timed tests
give false alarms under load), so a benchmark measures it and writes a small
JSON file that is committed beside its code::

    {"format": 1, "bench": "bench/x.py", "command": "...", "date": "2026-12-01T02:50:00Z",
     "machine": {...}, "scale": {...}, "figures": {"name": {"value": 1.0, "unit": "/s"}}}

The file is read when the ledger is loaded and what it says about each named
figure is kept with the claim (``Measurement``), so a stored run is judged
again without the file. A file that is missing, unreadable, of another format,
older than the claim allows or without the figure is not a crash: the
measurement carries the problem and the claim stays UNTESTED with it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT = 1
_FIELDS = {
    "format": int,
    "bench": str,
    "command": str,
    "date": str,
    "machine": dict,
    "scale": dict,
    "figures": dict,
}


@dataclass(frozen=True)
class Measurement:
    """What one figures file says about one figure (``problem`` non-empty: it cannot decide)."""

    file: str  # as the claim names it, relative to the project
    figure: str
    value: float | None = None
    unit: str = ""
    date: str = ""
    command: str = ""
    machine: str = ""  # one line: what ran it and how loaded the machine was
    scale: str = ""  # one line: the scale the figure was measured at
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measurement:
        return cls(**data)


def one_line(table: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in table.items())


def _parse_date(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _problem(data: Any, rel: str) -> str:
    if not isinstance(data, dict):
        return f"{rel} is not a JSON object"
    for key, kind in _FIELDS.items():
        if not isinstance(data.get(key), kind):
            return f"{rel}: {key!r} missing or not a {kind.__name__}"
    if data["format"] != FORMAT:
        return f"{rel}: format {data['format']}, this harness reads format {FORMAT}"
    if _parse_date(data["date"]) is None:
        return f"{rel}: date {data['date']!r} is not an ISO 8601 time"
    return ""


def measure(
    root: Path, rel: str, figure: str, *, max_age_days: int | None, now: datetime
) -> Measurement:
    """Read ``figure`` from the figures file ``rel`` (relative to ``root``), never raising."""
    path = root / rel
    rerun = f"run the benchmark that writes {rel}"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return Measurement(rel, figure, problem=f"no figures file {rel}: {rerun}")
    except OSError as exc:
        return Measurement(rel, figure, problem=f"cannot read {rel}: {exc.strerror}")
    except json.JSONDecodeError as exc:
        return Measurement(rel, figure, problem=f"{rel} is not JSON ({exc.msg}): {rerun}")
    problem = _problem(data, rel)
    if problem:
        return Measurement(rel, figure, problem=problem)
    seen = Measurement(
        rel,
        figure,
        date=data["date"],
        command=data["command"],
        machine=one_line(data["machine"]),
        scale=one_line(data["scale"]),
    )
    when = _parse_date(data["date"])
    assert when is not None  # _problem checked it
    if max_age_days is not None and (now - when).days > max_age_days:
        return replace(
            seen,
            problem=f"{rel} is stale: measured {data['date']}, "
            f"{(now - when).days} days before this run (at most {max_age_days}): {rerun}",
        )
    entry = data["figures"].get(figure)
    if not isinstance(entry, dict) or entry.get("value") is None:
        known = ", ".join(sorted(data["figures"])) or "none"
        return replace(seen, problem=f"{rel} has no measured figure {figure!r} (has: {known})")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return replace(seen, problem=f"{rel}: figure {figure!r} is not a number: {value!r}")
    return replace(seen, value=float(value), unit=str(entry.get("unit", "")))

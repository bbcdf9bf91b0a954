"""Where mutation scores are kept between runs: ``<reports>/mutation/<FIX>.json``.

``harness mutate`` writes one file per fix; the audit reads the newest of each
(or runs mutation itself with ``--mutate``) for its report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

from harness.errors import ConfigError
from harness.mutate.model import FixScore

FOLDER = "mutation"


def save(reports: Path, score: FixScore) -> Path:
    folder = reports / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{score.fix_id}.json"
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    data = {**score.to_json(), "measured": _stamp(reports)}
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)
    return path


def load_all(reports: Path) -> dict[str, FixScore]:
    folder = reports / FOLDER
    out: dict[str, FixScore] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text())
            score = FixScore.from_json(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read mutation score {path}: {exc}") from None
        score.measured = dict(data.get("measured") or {})
        out[score.fix_id] = score
    return out


def describe(scores: dict[str, FixScore]) -> str:
    """Where and when saved scores were measured, in a few words."""
    stamps = sorted(
        {(s.measured.get("commit", "?"), s.measured.get("date", "?")) for s in scores.values()}
    )
    return "; ".join(f"commit {c}, {d}" for c, d in stamps[:3]) + (
        " ..." if len(stamps) > 3 else ""
    )


def _stamp(reports: Path) -> dict[str, str]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=reports.parent if reports.parent.exists() else None,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"commit": commit or "unknown", "date": when}


def killers(reports: Path) -> dict[str, str]:
    """Mutant id -> the test that killed it in the saved scores (to run it first next time)."""
    out: dict[str, str] = {}
    try:
        saved = load_all(reports)
    except ConfigError:
        return out
    for score in saved.values():
        for m in score.mutants:
            test = m.evidence.get("test")
            if m.status == "killed" and isinstance(test, str):
                out[m.id] = test.split("[")[0]
    return out

"""Where mutation scores are kept between runs: ``<reports>/mutation/<FIX>.json``.

``harness mutate`` writes one file per fix; the audit reads the newest of each
(or runs mutation itself with ``--mutate``) for its report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.errors import ConfigError
from harness.mutate.model import FixScore

FOLDER = "mutation"


def save(reports: Path, score: FixScore) -> Path:
    folder = reports / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{score.fix_id}.json"
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(score.to_json(), indent=1) + "\n")
    tmp.replace(path)
    return path


def load_all(reports: Path) -> dict[str, FixScore]:
    folder = reports / FOLDER
    out: dict[str, FixScore] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            score = FixScore.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"cannot read mutation score {path}: {exc}") from None
        out[score.fix_id] = score
    return out

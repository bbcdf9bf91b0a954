"""Where the catalog, claims, scenarios and reports live: ``[tool.harness]`` in pyproject.toml.

``harness/`` knows nothing of the four systems; a project points it at its own
files here. Every path is relative to the folder that holds pyproject.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError

_KEYS = {"catalog", "claims", "scenarios", "reports"}


@dataclass(frozen=True)
class Settings:
    root: Path  # the project folder (where pyproject.toml is)
    catalog: Path  # folder of fix catalog files (*.toml)
    claims: Path  # folder of claims ledgers (*.toml)
    scenarios: Path  # what pytest runs for the audit
    reports: Path  # where report folders go


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding a pyproject.toml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    raise ConfigError(f"no pyproject.toml at or above {here}; run harness from the project folder")


def load_settings(root: Path | None = None) -> Settings:
    root = find_root(root)
    pyproject = root / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {pyproject}: {exc}") from None
    table = data.get("tool", {}).get("harness", {})
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(
            f"{pyproject}: unknown key(s) {sorted(unknown)} in [tool.harness]; "
            f"known: {sorted(_KEYS)}"
        )

    def path(key: str, default: str) -> Path:
        value = table.get(key, default)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{pyproject}: [tool.harness] {key} must be a non-empty path")
        return root / value

    return Settings(
        root=root,
        catalog=path("catalog", "scenarios/catalog"),
        claims=path("claims", "scenarios/claims"),
        scenarios=path("scenarios", "scenarios"),
        reports=path("reports", "reports"),
    )

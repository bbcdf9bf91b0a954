"""Strict reading of the harness's TOML data files: every error is one line naming file and entry."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import ConfigError


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def check_keys(
    where: str, entry: Mapping[str, Any], required: Mapping[str, type], optional: Mapping[str, type]
) -> None:
    """Unknown keys, missing keys and wrong types each get one line naming the entry."""
    unknown = set(entry) - set(required) - set(optional)
    if unknown:
        known = sorted({*required, *optional})
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; known: {known}")
    for key in required:
        if key not in entry:
            raise ConfigError(f"{where}: missing key {key!r}")
    for key, kind in {**required, **optional}.items():
        if key in entry and not isinstance(entry[key], kind):
            raise ConfigError(
                f"{where}: {key!r} must be a {kind.__name__}, got {type(entry[key]).__name__}"
            )


def str_list(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)

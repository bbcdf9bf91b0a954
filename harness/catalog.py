"""The fix catalog: every fix id, its system, what it fixes and the invariant that proves it.

Read from the ``*.toml`` files of the catalog folder (``[tool.harness] catalog``)::

    [[system]]
    id = "AGT"
    name = "agent command server"
    seed = "000_fd90bda605561e36.txt"

    [[fix]]
    id = "AGT-1"
    system = "AGT"
    title = "Registration is one transaction"
    invariant = "after a crash at any step: all three rows or none"
    seed = "000_fd90bda605561e36.txt"
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, UnknownName
from harness.ledger.tomlcheck import check_keys, read_toml


@dataclass(frozen=True)
class System:
    id: str
    name: str
    seed: str


@dataclass(frozen=True)
class Fix:
    id: str
    system: str
    title: str
    invariant: str
    seed: str


@dataclass(frozen=True)
class Catalog:
    systems: tuple[System, ...]
    fixes: tuple[Fix, ...]

    def fix(self, fix_id: str) -> Fix:
        for fix in self.fixes:
            if fix.id == fix_id.upper():
                return fix
        raise UnknownName("fix id", fix_id, [f.id for f in self.fixes])

    def system(self, system_id: str) -> System | None:
        return next((s for s in self.systems if s.id == system_id), None)

    def check_fix_ids(self, fix_ids: list[str]) -> list[str]:
        """Upper-cased known ids, a system id (``TRC``) standing for all its fixes; one
        clear error for the first unknown one."""
        out: list[str] = []
        for given in fix_ids:
            of_system = [f.id for f in self.fixes if f.system == given.upper()]
            out += of_system or [self.fix(given).id]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "systems": [asdict(s) for s in self.systems],
            "fixes": [asdict(f) for f in self.fixes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalog:
        return cls(
            systems=tuple(System(**s) for s in data.get("systems", [])),
            fixes=tuple(Fix(**f) for f in data.get("fixes", [])),
        )


def load_catalog(folder: Path) -> Catalog:
    if not folder.is_dir():
        raise ConfigError(f"fix catalog folder {folder} does not exist; set [tool.harness] catalog")
    systems: list[System] = []
    fixes: list[Fix] = []
    for path in sorted(folder.glob("*.toml")):
        data = read_toml(path)
        check_keys(str(path), data, {}, {"system": list, "fix": list})
        for n, entry in enumerate(data.get("system", []), 1):
            where = f"{path} [[system]] #{n}"
            check_keys(where, entry, {"id": str, "name": str, "seed": str}, {})
            systems.append(System(**entry))
        for n, entry in enumerate(data.get("fix", []), 1):
            where = f"{path} [[fix]] #{n} ({entry.get('id', '?')})"
            check_keys(
                where,
                entry,
                {"id": str, "system": str, "title": str, "invariant": str, "seed": str},
                {},
            )
            fixes.append(Fix(**entry))
    _check_unique("system id", [s.id for s in systems], folder)
    _check_unique("fix id", [f.id for f in fixes], folder)
    known_systems = {s.id for s in systems}
    for fix in fixes:
        if systems and fix.system not in known_systems:
            raise ConfigError(
                f"{folder}: fix {fix.id} names system {fix.system!r}, which no [[system]] defines"
            )
    return Catalog(tuple(systems), tuple(fixes))


def _check_unique(kind: str, ids: list[str], folder: Path) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ConfigError(f"{folder}: duplicate {kind} {i!r}")
        seen.add(i)

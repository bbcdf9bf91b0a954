"""The map from fix id to the code a mutation run may change, and the reviewed equivalents.

Both live in the project's catalog folder (``[tool.harness] catalog``), under
``mutate/``, so ``harness/`` stays ignorant of the systems::

    # mutate/agt.toml
    guards = ["prefix"]     # a name whose truth selects the pre-fix side of a branch

    [[fix]]
    id = "AGT-6"
    targets = ["reference_impl/agt/backoff.py::jitter_cap", "reference_impl/agt/backoff.py::JITTER_CAP_S"]

    # mutate/equivalents.toml
    [[equivalent]]
    mutant = "reference_impl/agt/backoff.py::jitter:31:number:0"
    reason = "why no behaviour can tell it from the original"

A target is ``FILE::NAME``: a function, a method (``Class.method``) or a module
constant, FILE relative to the project folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.catalog import Catalog
from harness.errors import ConfigError, UnknownName
from harness.ledger.tomlcheck import check_keys, read_toml, str_list

FOLDER = "mutate"
EQUIVALENTS = "equivalents.toml"


@dataclass(frozen=True)
class Target:
    file: str
    name: str

    @classmethod
    def parse(cls, text: str, where: str) -> Target:
        file, sep, name = text.partition("::")
        if not sep or not file.endswith(".py") or not name:
            raise ConfigError(f"{where}: target {text!r} is not FILE.py::NAME")
        return cls(file, name)

    @property
    def module(self) -> str:
        parts = self.file[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts)


@dataclass(frozen=True)
class FixTargets:
    fix_id: str
    targets: tuple[Target, ...]
    guards: frozenset[str]
    source: str  # the file that names them
    #: (FILE::NAME:LINE, reason): code inside a mapped function that belongs to another
    #: fix (a shared function); its mutants are not this fix's to catch.
    exclude: tuple[tuple[str, str], ...] = ()

    def excluded(self, mutant_id: str) -> str | None:
        for at, reason in self.exclude:
            if mutant_id == at or mutant_id.startswith(at + ":"):
                return reason
        return None


@dataclass
class MutationMap:
    fixes: dict[str, FixTargets] = field(default_factory=dict)
    equivalents: dict[str, str] = field(default_factory=dict)  # mutant id -> reason

    def select(self, wanted: list[str], catalog: Catalog) -> list[FixTargets]:
        """Fix ids and system ids (``AGT``: every mapped fix of it), in catalog order."""
        chosen: list[str] = []
        for word in wanted:
            key = word.strip().upper()
            if catalog.system(key) is not None:
                ids = [f.id for f in catalog.fixes if f.system == key and f.id in self.fixes]
                if not ids:
                    raise ConfigError(f"no fix of system {key} has mutation targets")
                chosen += ids
                continue
            fix = catalog.fix(key)  # unknown id: one clear error
            if fix.id not in self.fixes:
                raise UnknownName("fix id with mutation targets", fix.id, sorted(self.fixes))
            chosen.append(fix.id)
        order = [f.id for f in catalog.fixes]
        return [self.fixes[i] for i in sorted(dict.fromkeys(chosen), key=order.index)]


def load_map(catalog_folder: Path) -> MutationMap:
    folder = catalog_folder / FOLDER
    if not folder.is_dir():
        raise ConfigError(
            f"no mutation map: {folder} does not exist (one *.toml per system naming each "
            "fix's functions)"
        )
    out = MutationMap()
    for path in sorted(folder.glob("*.toml")):
        data = read_toml(path)
        if path.name == EQUIVALENTS:
            check_keys(str(path), data, {}, {"equivalent": list})
            for n, entry in enumerate(data.get("equivalent", []), 1):
                where = f"{path} [[equivalent]] #{n}"
                check_keys(where, entry, {"mutant": str, "reason": str}, {})
                if not entry["reason"].strip():
                    raise ConfigError(f"{where}: an equivalence needs its reason")
                out.equivalents[entry["mutant"]] = entry["reason"].strip()
            continue
        check_keys(str(path), data, {}, {"guards": list, "fix": list})
        guards = frozenset(str_list(str(path), "guards", data.get("guards", [])))
        for n, entry in enumerate(data.get("fix", []), 1):
            where = f"{path} [[fix]] #{n} ({entry.get('id', '?')})"
            check_keys(where, entry, {"id": str, "targets": list}, {"exclude": list})
            fix_id = entry["id"].upper()
            if fix_id in out.fixes:
                raise ConfigError(f"{where}: fix {fix_id} is mapped twice")
            targets = tuple(
                Target.parse(t, where) for t in str_list(where, "targets", entry["targets"])
            )
            if not targets:
                raise ConfigError(f"{where}: 'targets' is empty")
            exclude = []
            for ex in entry.get("exclude", []):
                if not isinstance(ex, dict):
                    raise ConfigError(
                        f"{where}: each 'exclude' entry is {{at = ..., reason = ...}}"
                    )
                check_keys(f"{where} exclude", ex, {"at": str, "reason": str}, {})
                if not ex["reason"].strip():
                    raise ConfigError(f"{where}: exclude {ex['at']!r} needs its reason")
                exclude.append((ex["at"], ex["reason"].strip()))
            out.fixes[fix_id] = FixTargets(fix_id, targets, guards, str(path), tuple(exclude))
    return out

"""Loading and validating the claims ledger (format: scenarios/claims/README.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.ledger.figures import Measurement, measure
from harness.ledger.tomlcheck import check_keys, read_toml, str_list
from harness.scenario import parse_case_ref

HOLDS_IF = ("PASS", "FAIL")


@dataclass(frozen=True)
class TestedBy:
    __test__ = False  # not a pytest test class, despite its name

    scenario: str  # FIX/SCENARIO/VARIANT
    holds_if: str  # PASS or FAIL

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "holds_if": self.holds_if}


@dataclass(frozen=True)
class MeasuredBy:
    """A figure of a committed benchmark file and the bound the seed states for it."""

    figures: str  # the figures file, relative to the project folder
    figure: str  # its name in that file
    at_least: float | None  # exactly one of at_least / at_most
    at_most: float | None
    max_age_days: int | None  # older figures are stale: the claim stays UNTESTED
    measurement: Measurement  # what the file said when the ledger was loaded

    @property
    def stated(self) -> str:
        return f">= {self.at_least:g}" if self.at_least is not None else f"<= {self.at_most:g}"

    def holds(self, value: float) -> bool:
        if self.at_least is not None:
            return value >= self.at_least
        assert self.at_most is not None
        return value <= self.at_most

    def to_json(self) -> dict[str, Any]:
        return {
            "figures": self.figures,
            "figure": self.figure,
            "at_least": self.at_least,
            "at_most": self.at_most,
            "max_age_days": self.max_age_days,
            "measurement": self.measurement.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MeasuredBy:
        return cls(**{**data, "measurement": Measurement.from_json(data["measurement"])})


@dataclass(frozen=True)
class Claim:
    id: str
    seed: str
    section: str
    claim: str
    fixes: tuple[str, ...]
    untested_reason: str
    tested_by: tuple[TestedBy, ...]
    source: str = ""  # the ledger file it came from, for error messages
    measured_by: tuple[MeasuredBy, ...] = field(default=())

    @property
    def system(self) -> str:
        return self.id.split("-", 1)[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seed": self.seed,
            "section": self.section,
            "claim": self.claim,
            "fixes": list(self.fixes),
            "untested_reason": self.untested_reason,
            "tested_by": [t.to_json() for t in self.tested_by],
            "measured_by": [m.to_json() for m in self.measured_by],
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Claim:
        return cls(
            id=data["id"],
            seed=data["seed"],
            section=data["section"],
            claim=data["claim"],
            fixes=tuple(data["fixes"]),
            untested_reason=data.get("untested_reason", ""),
            tested_by=tuple(TestedBy(**t) for t in data.get("tested_by", [])),
            source=data.get("source", ""),
            measured_by=tuple(MeasuredBy.from_json(m) for m in data.get("measured_by", [])),
        )


_REQUIRED = {"id": str, "seed": str, "section": str, "claim": str, "fixes": list}
_OPTIONAL = {"untested_reason": str, "tested_by": list, "measured_by": list}


def _bound(where: str, entry: dict[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def _parse_measured(where: str, entry: Any, root: Path, now: datetime) -> MeasuredBy:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table with figures, figure and at_least or at_most")
    extra = {k: v for k, v in entry.items() if k in ("at_least", "at_most")}
    rest = {k: v for k, v in entry.items() if k not in extra}
    check_keys(where, rest, {"figures": str, "figure": str}, {"max_age_days": int})
    if len(extra) != 1:
        raise ConfigError(f"{where}: give exactly one of at_least and at_most (the stated figure)")
    rel = entry["figures"]
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise ConfigError(f"{where}: figures {rel!r} must be a path inside the project")
    age = entry.get("max_age_days")
    if age is not None and age < 0:
        raise ConfigError(f"{where}: max_age_days must be >= 0, got {age}")
    return MeasuredBy(
        figures=rel,
        figure=entry["figure"],
        at_least=_bound(where, entry, "at_least"),
        at_most=_bound(where, entry, "at_most"),
        max_age_days=age,
        measurement=measure(root, rel, entry["figure"], max_age_days=age, now=now),
    )


def _parse_claim(
    where: str, entry: dict[str, Any], source: str, root: Path, now: datetime
) -> Claim:
    check_keys(where, entry, _REQUIRED, _OPTIONAL)
    fixes = str_list(where, "fixes", entry["fixes"])
    tested: list[TestedBy] = []
    for n, t in enumerate(entry.get("tested_by", []), 1):
        twhere = f"{where} tested_by #{n}"
        if not isinstance(t, dict):
            raise ConfigError(f"{twhere}: must be a table with scenario and holds_if")
        check_keys(twhere, t, {"scenario": str, "holds_if": str}, {})
        if t["holds_if"] not in HOLDS_IF:
            raise ConfigError(f"{twhere}: holds_if must be PASS or FAIL, got {t['holds_if']!r}")
        _, _, _, case = parse_case_ref(t["scenario"])
        if case is not None:
            raise ConfigError(
                f"{twhere}: scenario {t['scenario']!r} names a case; a claim is tested by a "
                "whole scenario variant, FIX/SCENARIO/VARIANT"
            )
        tested.append(TestedBy(t["scenario"], t["holds_if"]))
    measured = tuple(
        _parse_measured(f"{where} measured_by #{n}", m, root, now)
        for n, m in enumerate(entry.get("measured_by", []), 1)
    )
    reason = entry.get("untested_reason", "")
    if not tested and not measured and not reason.strip():
        raise ConfigError(
            f"{where}: no tested_by, no measured_by and no untested_reason; give one of them"
        )
    return Claim(
        id=entry["id"],
        seed=entry["seed"],
        section=entry["section"],
        claim=entry["claim"],
        fixes=fixes,
        untested_reason=reason,
        tested_by=tuple(tested),
        source=source,
        measured_by=measured,
    )


def _project(folder: Path) -> Path:
    """The folder holding pyproject.toml at or above ``folder`` (figures paths start there)."""
    here = folder.resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return here


def load_claims(
    folder: Path,
    known_fixes: set[str] | None = None,
    *,
    root: Path | None = None,
    now: datetime | None = None,
) -> list[Claim]:
    """Every claim of every ``*.toml`` ledger in ``folder``, validated; ids unique.

    A claim's figures files are read now (relative to ``root``, by default the project
    folder above ``folder``) and judged stale against ``now`` (by default the clock).
    """
    root = root if root is not None else _project(folder)
    now = now if now is not None else datetime.now(UTC)
    if not folder.is_dir():
        raise ConfigError(f"claims folder {folder} does not exist; set [tool.harness] claims")
    claims: list[Claim] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        data = read_toml(path)
        check_keys(str(path), data, {}, {"claim": list})
        for n, entry in enumerate(data.get("claim", []), 1):
            where = f"{path.name} [[claim]] #{n} ({entry.get('id', '?')})"
            if not isinstance(entry, dict):
                raise ConfigError(f"{where}: must be a table")
            claim = _parse_claim(where, entry, path.name, root, now)
            if claim.id in seen:
                raise ConfigError(
                    f"{path.name}: duplicate claim id {claim.id!r} (also in {seen[claim.id]})"
                )
            seen[claim.id] = path.name
            if known_fixes is not None:
                named = [*claim.fixes, *(t.scenario.split("/")[0] for t in claim.tested_by)]
                for fix_id in named:
                    if fix_id not in known_fixes:
                        raise ConfigError(f"{where}: fix id {fix_id!r} is not in the fix catalog")
            claims.append(claim)
    return claims

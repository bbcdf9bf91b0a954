"""Loading and validating the claims ledger (format: scenarios/claims/README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
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
class Claim:
    id: str
    seed: str
    section: str
    claim: str
    fixes: tuple[str, ...]
    untested_reason: str
    tested_by: tuple[TestedBy, ...]
    source: str = ""  # the ledger file it came from, for error messages

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
        )


_REQUIRED = {"id": str, "seed": str, "section": str, "claim": str, "fixes": list}
_OPTIONAL = {"untested_reason": str, "tested_by": list}


def _parse_claim(where: str, entry: dict[str, Any], source: str) -> Claim:
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
    reason = entry.get("untested_reason", "")
    if not tested and not reason.strip():
        raise ConfigError(f"{where}: no tested_by and no untested_reason; give one of them")
    return Claim(
        id=entry["id"],
        seed=entry["seed"],
        section=entry["section"],
        claim=entry["claim"],
        fixes=fixes,
        untested_reason=reason,
        tested_by=tuple(tested),
        source=source,
    )


def load_claims(folder: Path, known_fixes: set[str] | None = None) -> list[Claim]:
    """Every claim of every ``*.toml`` ledger in ``folder``, validated; ids unique."""
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
            claim = _parse_claim(where, entry, path.name)
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

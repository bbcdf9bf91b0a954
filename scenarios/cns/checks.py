"""Checks of the CNS scenarios: pure functions of a file snapshot (``files.snapshot``).

Each expected value is the fix's statement (FIXES.md CNS), written here.
"""

from __future__ import annotations

from typing import Any

from harness.verdict import Verdict, compose
from scenarios.cns.files import NEW_TABLES, mismatches


def integrity(snap: dict[str, Any]) -> Verdict:
    if snap["integrity"] == ["ok"]:
        return Verdict.ok("cns.integrity", "integrity_check ok")
    return Verdict.violated("cns.integrity", f"integrity_check: {snap['integrity'][:5]}")


def whole_version(snap: dict[str, Any]) -> Verdict:
    """CNS-2: the file is at one version: 0 has no new table, >= 1 has both, >= 2 has every
    artifact copied (a version is a promise about the schema and the data)."""
    uv, tables = snap["user_version"], set(snap["tables"])
    new = tables & NEW_TABLES
    if uv == 0 and not new:
        return Verdict.ok("cns.whole_version", "at the old version (0), no new table")
    if uv >= 1 and new == NEW_TABLES:
        if uv >= 2 and any(mismatches(snap).values()):
            return Verdict.violated("cns.whole_version",
                                    f"version {uv} but the data is not all copied", **mismatches(snap))
        return Verdict.ok("cns.whole_version", f"at version {uv} with both new tables")
    return Verdict.violated(
        "cns.whole_version", f"half-migrated: user_version {uv}, new tables {sorted(new)}")


def dual_write_equal(snap: dict[str, Any]) -> Verdict:
    """CNS-4: 0 mismatches between the old rows and the new."""
    found = mismatches(snap)
    n = sum(len(v) for v in found.values())
    if n == 0:
        return Verdict.ok("cns.dual_write", f"0 mismatches ({len(snap.get('old', []))} rows)")
    return Verdict.violated("cns.dual_write", f"{n} mismatch(es) between old and new", **found)


def runs_whole(snap: dict[str, Any], agents: int = 3) -> Verdict:
    """CNS-8: each stored run is all or nothing: its artifacts, its synthesis, its outputs."""
    per_run: dict[tuple[str, str], int] = {}
    for spec, stage, _agent, _content in snap.get("old", []):
        per_run[(spec, stage)] = per_run.get((spec, stage), 0) + 1
    partial = {f"{k[0]}/{k[1]}": v for k, v in per_run.items() if v % agents}
    syn = {(s, st) for s, st, _r in snap.get("synthesis", [])}
    without = sorted(f"{s}/{st}" for s, st in per_run if (s, st) not in syn)
    if partial or without or any(mismatches(snap).values()):
        return Verdict.violated("cns.all_or_nothing", "a run is partly stored",
                                partial_artifacts=partial, without_synthesis=without,
                                **mismatches(snap))
    return Verdict.ok("cns.all_or_nothing", f"{len(per_run)} whole run(s), none partial")


def stage(name: str, parts: list[Verdict]) -> Verdict:
    return compose(name, parts)

"""``harness list``: fixes, their scenarios and variants, and their claims."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.catalog import Catalog, System
from harness.ledger.claims import Claim


def render_listing(
    catalog: Catalog, claims: list[Claim], items: list[dict[str, Any]], fixes: list[str]
) -> str:
    scenarios: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    plain: dict[str, list[str]] = defaultdict(list)
    for item in items:
        fix_id = item.get("fix_id")
        if not fix_id:
            continue
        if "scenario" in item:
            scenarios[fix_id].setdefault(item["scenario"], item)
        else:
            plain[fix_id].append(item["nodeid"])
    lines: list[str] = []
    shown = [f for f in catalog.fixes if not fixes or f.id in fixes]
    for fix in shown:
        lines.append(f"{fix.id}  {fix.title}")
        for name, item in sorted(scenarios.get(fix.id, {}).items()):
            measured = f" (measured: {', '.join(item['measured'])})" if item["measured"] else ""
            desc = f"  {item['description']}" if item["description"] else ""
            lines.append(
                f"  scenario {name}  variants: {', '.join(item['variants'])}{measured}{desc}"
            )
        for nodeid in plain.get(fix.id, []):
            lines.append(f"  test {nodeid}")
        if fix.id not in scenarios and fix.id not in plain:
            lines.append("  (no scenario yet)")
        for claim in claims:
            if fix.id in claim.fixes:
                tested = ", ".join(f"{t.scenario} {t.holds_if}" for t in claim.tested_by)
                lines.append(
                    f"  claim {claim.id}: {claim.claim} [{tested or 'untested: ' + claim.untested_reason}]"
                )
    n_scen = sum(len(v) for f, v in scenarios.items() if not fixes or f in fixes)
    lines.append(f"{len(shown)} fixes, {n_scen} scenarios")
    return "\n".join(lines) + "\n"


def render_catalog_markdown(catalog: Catalog, source: str) -> str:
    """The fix catalog as a Markdown page (``harness list --markdown``): every system, and
    every fix with what it fixes and the invariant its scenarios check."""
    lines = [
        "# The fixes under verification",
        "",
        f"Generated from `{source}` by `harness list --markdown`; a test keeps the two equal,",
        "so edit the catalog and regenerate this page. Every id here is what scenario names,",
        "report sections and the CLI (`--fix AGT-2`, or `--fix AGT` for all of a system's",
        "fixes) use. A fix counts as verified only when its scenarios FAIL on the pre-fix",
        "variant and PASS on the fixed one.",
        "",
    ]
    systems = list(catalog.systems) or [
        System(s, s, "") for s in dict.fromkeys(f.system for f in catalog.fixes)
    ]
    for system in systems:
        fixes = [f for f in catalog.fixes if f.system == system.id]
        lines += [f"## {system.id}: {system.name}", ""]
        if system.seed:
            lines += [
                f"Source: the audit document `{system.seed}` (not part of this repository:"
                " each fix and invariant is restated here in this project's words).",
                "",
            ]
        lines += ["| id | fix | invariant the scenarios check |", "|---|---|---|"]
        lines += [f"| {f.id} | {_cell(f.title)} | {_cell(f.invariant)} |" for f in fixes]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")

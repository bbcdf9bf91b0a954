"""``harness list``: fixes, their scenarios and variants, and their claims."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.catalog import Catalog
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

"""What the templates see: the run and its analysis, plus small formatting helpers.

Markdown and HTML share this one context, so both formats say the same thing.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from harness.audit.analysis import Analysis, analyze
from harness.audit.model import Run
from harness.history import NEMESIS
from harness.scenario import Case, ScenarioResult

MAX_EVIDENCE_CHARS = 400


def evidence_text(case: Case, limit: int = MAX_EVIDENCE_CHARS) -> str:
    if not case.verdict.evidence:
        return ""
    text = json.dumps(case.verdict.evidence, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evidence_lines(case: Case, limit: int = MAX_EVIDENCE_CHARS) -> list[str]:
    """The evidence of a failing case: per failing check when the verdict is composed."""
    parts = case.verdict.evidence.get("parts")
    if not isinstance(parts, list):
        text = evidence_text(case, limit)
        return [text] if text else []
    lines = []
    for part in parts:
        if not isinstance(part, dict) or part.get("validity") == "valid":
            continue
        text = json.dumps(part.get("evidence", {}), default=str, sort_keys=True)
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        lines.append(f"{part.get('checker')}: {part.get('summary')}: {text}")
    return lines


def checks(result: ScenarioResult) -> list[str]:
    """The names of the invariant checks that judged this result's cases (the checks each
    case recorded; else the parts of its verdict; never a case or schedule id)."""
    names: dict[str, None] = {}
    for case in result.cases:
        recorded = case.detail.get("checks")
        if isinstance(recorded, list) and recorded:
            for c in recorded:
                if isinstance(c, dict) and c.get("name"):
                    names[str(c["name"])] = None
            continue
        parts = case.verdict.evidence.get("parts")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict) and part.get("checker"):
                    names[str(part["checker"])] = None
        elif case.verdict.checker != case.case_id:
            names[case.verdict.checker] = None
    return list(names)


def injected_text(result: ScenarioResult) -> str:
    """Faults and processes as the histories recorded them (not as the scenario said)."""
    faults: Counter[str] = Counter()
    most = 0
    for case in result.cases:
        if case.history is None:
            continue
        procs = set()
        for op in case.history.ops:
            if op.process == NEMESIS:
                faults[op.f] += 1
            else:
                procs.add(op.process)
        most = max(most, len(procs))
    if not faults and not most:
        return "no history recorded"
    kinds = ", ".join(f"{f} {n}" for f, n in sorted(faults.items()))
    text = f"nemesis operations (faults and heals): {sum(faults.values())}" + (
        f" ({kinds})" if kinds else ""
    )
    return text + f"; up to {most} process(es) in one case"


def verdict_summary(result: ScenarioResult, shown: int = 3) -> str:
    """The scenario's verdict in one line: how many cases failed and their distinct reasons."""
    bad = result.failing_cases()
    if not bad or result.error:
        return result.verdict.summary
    reasons = list(dict.fromkeys(c.verdict.summary for c in bad))
    more = f" (+{len(reasons) - shown} more)" if len(reasons) > shown else ""
    return f"{len(bad)} of {len(result.cases)} cases: " + "; ".join(reasons[:shown]) + more


def expectation(result: ScenarioResult) -> str:
    return {
        True: "expected PASS",
        False: "expected FAIL (caught)",
        None: "measured (no expectation)",
    }[result.expects_pass]


def explored_text(explored: dict[str, Any]) -> str:
    if not explored:
        return "not stated by the scenario"
    parts = []
    for key, value in explored.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def md_cell(value: object) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def pairs(mapping: dict[str, Any], sep: str) -> str:
    return sep.join(f"{k} {v}" for k, v in mapping.items())


def build(run: Run, analysis: Analysis | None = None) -> dict[str, Any]:
    analysis = analysis or analyze(run)
    flipped = [r for r in analysis.rows if r.flipped]
    decidable = [r for r in analysis.rows if r.flipped is not None]
    return {
        "run": run,
        "meta": run.meta,
        "a": analysis,
        "counts": analysis.counts,
        "flipped_count": len(flipped),
        "decidable_count": len(decidable),
        "claim_counts": {
            s: sum(1 for c in analysis.claims if c.status.value == s)
            for s in ("CONFIRMED", "REFUTED", "UNTESTED")
        },
        "evidence_text": evidence_text,
        "evidence_lines": evidence_lines,
        "checks": checks,
        "injected_text": injected_text,
        "verdict_summary": verdict_summary,
        "expectation": expectation,
        "explored_text": explored_text,
        "md_cell": md_cell,
        "pairs": pairs,
    }

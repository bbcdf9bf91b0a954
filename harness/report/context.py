"""What the templates see: the run and its analysis, plus small formatting helpers.

Markdown and HTML share this one context, so both formats say the same thing.
"""

from __future__ import annotations

import json
from typing import Any

from harness.audit.analysis import Analysis, analyze
from harness.audit.model import Run
from harness.scenario import Case, ScenarioResult

MAX_EVIDENCE_CHARS = 400


def evidence_text(case: Case, limit: int = MAX_EVIDENCE_CHARS) -> str:
    if not case.verdict.evidence:
        return ""
    text = json.dumps(case.verdict.evidence, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def expectation(result: ScenarioResult) -> str:
    return {True: "PASS", False: "FAIL (caught)", None: "measured"}[result.expects_pass]


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
        "expectation": expectation,
        "explored_text": explored_text,
        "md_cell": md_cell,
        "pairs": pairs,
    }

"""Run the QUE scenarios once (every variant) and print the wall time and the outcome table.

    .venv/bin/python bench/bench_que.py [--seed N] [extra pytest args]

The table is computed from the scenario results pytest wrote, never by hand.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from scenario_bench import ROOT, print_report, run_scenarios

VARIANTS = ("prefix", "seed", "fixed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", action="store_true", help="also list every failing case")
    parser.add_argument(
        "--markdown", action="store_true", help="also print docs/que.md's two tables"
    )
    args, extra = parser.parse_known_args(argv)
    run = run_scenarios("scenarios/que", args.seed, extra)
    code = print_report("QUE", run, VARIANTS, extra, args.cases)
    if args.markdown:
        print(markdown_tables(run.rows))
    return code


def markdown_tables(rows: list[dict]) -> str:
    """The state-change table and the claim verdicts, as docs/que.md shows them."""
    from harness.ledger.claims import load_claims
    from harness.ledger.verdicts import judge_all
    from harness.scenario import ScenarioResult

    cells: dict[str, dict[str, str]] = defaultdict(dict)
    for r in rows:
        bad = sum(1 for c in r["cases"] if c["verdict"]["validity"] != "valid")
        cells[f"{r['fix_id']} `{r['scenario']}`"][r["variant"]] = (
            f"{r['outcome']} {bad}/{len(r['cases'])}"
        )
    out = ["| scenario | prefix | seed (measured) | fixed |", "|---|---|---|---|"]
    for name in sorted(cells):
        out.append(f"| {name} | " + " | ".join(cells[name].get(v, "-") for v in VARIANTS) + " |")
    claims = [c for c in load_claims(ROOT / "scenarios" / "claims") if c.system == "QUE"]
    results = [ScenarioResult.from_json(r) for r in rows]
    out += [
        "",
        "| id | seed section | claim (our words) | verdict | evidence |",
        "|---|---|---|---|---|",
    ]
    for cv in judge_all(claims, results):
        evidence = []
        for e in cv.evidence:
            text = f"`{e['scenario']}` {e['outcome']} ({e.get('failing_total', 0)}/{e['cases']} cases fail)"
            failing = e.get("failing_cases") or []
            if failing:
                text += f"; e.g. `{failing[0]['case_id']}`: {failing[0]['summary'][:120]}"
            evidence.append(text)
        said = "<br>".join(evidence) or cv.claim.untested_reason or cv.reason
        section = cv.claim.section.split(":")[0]
        out.append(f"| {cv.claim.id} | {section} | {cv.claim.claim} | **{cv.status}** | {said} |")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())

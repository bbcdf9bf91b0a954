"""Run the QUE scenarios once (every variant) and print the wall time and the outcome table.

    .venv/bin/python bench/bench_que.py [--seed N] [extra pytest args]

The table is computed from the scenario results pytest wrote, never by hand.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("prefix", "seed", "fixed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", action="store_true", help="also list every failing case")
    parser.add_argument(
        "--markdown", action="store_true", help="also print docs/que.md's two tables"
    )
    args, extra = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-que-") as tmp:
        results = Path(tmp) / "results.jsonl"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "scenarios/que",
            f"--harness-seed={args.seed}",
            f"--harness-results={results}",
            *extra,
        ]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        rows = (
            [json.loads(line) for line in results.read_text().splitlines()]
            if results.exists()
            else []
        )
    table: dict[str, dict[str, str]] = defaultdict(dict)
    durations: dict[str, float] = defaultdict(float)
    for r in rows:
        name = f"{r['fix_id']}/{r['scenario']}"
        mark = "" if r["meets_expectation"] else " (!)"
        table[name][r["variant"]] = f"{r['outcome']}{mark} {len(r['cases'])}c"
        durations[name] += r["duration_s"]
    width = max((len(n) for n in table), default=10)
    print(f"{'scenario':<{width}}  " + "  ".join(f"{v:<16}" for v in VARIANTS) + "  time")
    for name in sorted(table):
        cells = "  ".join(f"{table[name].get(v, '-'):<16}" for v in VARIANTS)
        print(f"{name:<{width}}  {cells}  {durations[name]:.2f}s")
    if args.cases:
        for r in sorted(rows, key=lambda r: (r["fix_id"], r["scenario"], r["variant"])):
            for c in r["cases"]:
                if c["verdict"]["validity"] != "valid":
                    print(
                        f"  {r['fix_id']}/{r['scenario']}/{r['variant']}:{c['case_id']}: "
                        f"{c['verdict']['summary'][:150]}"
                    )
    if args.markdown:
        print(markdown_tables(rows))
    print(f"pytest exit {proc.returncode}; {len(rows)} scenario results; wall time {wall:.2f} s")
    if proc.returncode != 0:
        print(proc.stdout[-4000:])
    return proc.returncode


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

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
    print(f"pytest exit {proc.returncode}; {len(rows)} scenario results; wall time {wall:.2f} s")
    if proc.returncode != 0:
        print(proc.stdout[-4000:])
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the AGT scenarios once (both variants) and print the wall time and the state-change table.

    .venv/bin/python bench/bench_agt.py [--seed N] [--cases] [extra pytest args, e.g. -n 2]

The table is computed from the scenario results pytest wrote, never by hand. A
benchmark, not a timed test: the figure depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("prefix", "fixed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", action="store_true", help="also list every failing case")
    args, extra = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-agt-") as tmp:
        results = Path(tmp) / "results.jsonl"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "scenarios/agt",
            f"--harness-seed={args.seed}",
            f"--harness-results={results}",
            *extra,
        ]
        # The machine's load before and after: the figure depends on what else runs.
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        load_after = os.getloadavg()
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
        measured = " (measured)" if r["expects_pass"] is None else ""
        table[name][r["variant"]] = f"{r['outcome']}{mark}{measured} {len(r['cases'])}c"
        durations[name] += r["duration_s"]
    width = max((len(n) for n in table), default=10)
    print(f"{'scenario':<{width}}  " + "  ".join(f"{v:<24}" for v in VARIANTS) + "  time")
    for name in sorted(table):
        cells = "  ".join(f"{table[name].get(v, '-'):<24}" for v in VARIANTS)
        print(f"{name:<{width}}  {cells}  {durations[name]:6.2f}s")
    if args.cases:
        for r in rows:
            for c in r["cases"]:
                if c["verdict"]["validity"] != "valid":
                    print(
                        f"  {r['fix_id']}/{r['scenario']}/{r['variant']}:{c['case_id']}: {c['verdict']['summary'][:160]}"
                    )
    missed = [
        f"{r['fix_id']}/{r['scenario']}/{r['variant']}" for r in rows if not r["meets_expectation"]
    ]
    print(
        f"\nAGT scenarios: {len(rows)} results, {len(missed)} not as expected, wall time {wall:.1f} s (pytest exit {proc.returncode})"
    )
    print(
        f"pytest {' '.join(extra) or '(no extra arguments)'}; {os.cpu_count()} CPUs; load average "
        f"{'/'.join(f'{x:.2f}' for x in load_before)} before, "
        f"{'/'.join(f'{x:.2f}' for x in load_after)} after (1/5/15 min)"
    )
    if missed:
        print("not as expected: " + ", ".join(missed))
    if proc.returncode not in (0, 1):
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

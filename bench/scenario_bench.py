"""Shared by the per-system benchmarks: run one system's scenarios once, print the table.

The table is computed from the scenario results pytest wrote, never by hand. A
benchmark, not a timed test: the figure depends on the machine and its load,
so the load average before and after is printed beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ScenarioRun:
    rows: list[dict[str, Any]]
    wall_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    returncode: int
    stdout: str
    stderr: str


def run_scenarios(path: str, seed: int, extra: list[str]) -> ScenarioRun:
    """One pytest run of ``path`` (e.g. scenarios/agt) with every variant, results collected."""
    with tempfile.TemporaryDirectory(prefix="bench-scenarios-") as tmp:
        results = Path(tmp) / "results.jsonl"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            path,
            f"--harness-seed={seed}",
            f"--harness-results={results}",
            *extra,
        ]
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
    return ScenarioRun(
        rows, wall, load_before, load_after, proc.returncode, proc.stdout, proc.stderr
    )


def print_report(
    system: str, run: ScenarioRun, variants: tuple[str, ...], extra: list[str], cases: bool
) -> int:
    """The outcome table (cases per cell), failing cases if asked, the wall time and load."""
    table: dict[str, dict[str, str]] = defaultdict(dict)
    durations: dict[str, float] = defaultdict(float)
    for r in run.rows:
        name = f"{r['fix_id']}/{r['scenario']}"
        mark = "" if r["meets_expectation"] else " (!)"
        measured = " (measured)" if r["expects_pass"] is None else ""
        table[name][r["variant"]] = f"{r['outcome']}{mark}{measured} {len(r['cases'])}c"
        durations[name] += r["duration_s"]
    width = max((len(n) for n in table), default=10)
    print(f"{'scenario':<{width}}  " + "  ".join(f"{v:<24}" for v in variants) + "  time")
    for name in sorted(table):
        cells = "  ".join(f"{table[name].get(v, '-'):<24}" for v in variants)
        print(f"{name:<{width}}  {cells}  {durations[name]:6.2f}s")
    if cases:
        for r in sorted(run.rows, key=lambda r: (r["fix_id"], r["scenario"], r["variant"])):
            for c in r["cases"]:
                if c["verdict"]["validity"] != "valid":
                    ref = f"{r['fix_id']}/{r['scenario']}/{r['variant']}:{c['case_id']}"
                    print(f"  {ref}: {c['verdict']['summary'][:160]}")
    missed = [
        f"{r['fix_id']}/{r['scenario']}/{r['variant']}"
        for r in run.rows
        if not r["meets_expectation"]
    ]
    print(
        f"\n{system} scenarios: {len(run.rows)} results, {len(missed)} not as expected, "
        f"wall time {run.wall_s:.1f} s (pytest exit {run.returncode})"
    )
    print(
        f"pytest {' '.join(extra) or '(no extra arguments)'}; {os.cpu_count()} CPUs; load average "
        f"{'/'.join(f'{x:.2f}' for x in run.load_before)} before, "
        f"{'/'.join(f'{x:.2f}' for x in run.load_after)} after (1/5/15 min)"
    )
    if missed:
        print("not as expected: " + ", ".join(missed))
    if run.returncode not in (0, 1):
        print(run.stdout[-2000:], run.stderr[-2000:], sep="\n")
    return 0 if run.returncode == 0 else 1

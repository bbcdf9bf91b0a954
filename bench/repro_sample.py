"""Replay a sample of a report's failing pre-fix cases with ``harness repro``, N times each:
every one must reproduce its recorded verdict every time.

    python bench/repro_sample.py [--from reports/latest/results.json] [--sample 20] [--times 10]

The sample takes failing cases of pre-fix variants round-robin over scenarios (so
every scenario that fails is in it), skipping hammer cases: their seed fixes the
processes' choices, not the machine's timing, so a hammer replay is not meant to
be exact (the report labels them). Prints one line per case and the totals.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sample(results: Path, size: int) -> list[tuple[str, int]]:
    """(case ref, scenario seed) of failing pre-fix cases, round-robin over scenarios."""
    per_scenario = []
    for r in json.loads(results.read_text())["results"]:
        if r["variant"] == "fixed" or r["expects_pass"] is not False:
            continue
        refs = [
            (f"{r['fix_id']}/{r['scenario']}/{r['variant']}:{c['case_id']}", int(r["seed"]))
            for c in r["cases"]
            if c["verdict"]["validity"] == "invalid" and not c["case_id"].startswith("hammer:")
        ]
        if refs:
            per_scenario.append(refs)
    ordered = [ref for group in itertools.zip_longest(*per_scenario) for ref in group if ref]
    return ordered[:size]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="source", type=Path, default=ROOT / "reports/latest/results.json"
    )
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    cases = sample(args.source, args.sample)
    if len(cases) < args.sample:
        print(f"only {len(cases)} failing pre-fix cases (non-hammer) in {args.source}")
    exact = 0
    for ref, seed in cases:
        ok, t0 = 0, time.perf_counter()
        for _ in range(args.times):
            proc = subprocess.run(
                [sys.executable, "-m", "harness.cli", "repro", ref, "--from", str(args.source)],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            ok += proc.returncode == 0
        exact += ok == args.times
        print(
            f"{ref} (seed {seed}): reproduced {ok}/{args.times} in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    print(f"repro: {exact}/{len(cases)} cases reproduced {args.times}/{args.times} times")
    return 0 if exact == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())

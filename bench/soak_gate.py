"""Soak: N runs of ``harness gate -n 2``, each with its own --seed, while a second
``harness audit -n 2`` runs at the same time on the same cores. Prints the counts.

    python bench/soak_gate.py --runs 50 [--first-seed 1000]

Zero false alarms means: 0 runs where a fixed variant failed. Not a test: a figure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

HARNESS = [sys.executable, "-m", "harness.cli"]


def _failed_fixed(output: str) -> list[str]:
    """The gate's lines about a fixed variant that did not pass (REGRESSED/UNDECIDED)."""
    return [
        line.strip()
        for line in output.splitlines()
        if line.startswith(("REGRESSED", "UNDECIDED")) and "/fixed" in line
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    false_alarms, other_failures, load_runs = 0, 0, 0
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        load: subprocess.Popen[bytes] | None = None
        try:
            for i in range(args.runs):
                if load is None or load.poll() is not None:
                    load_runs += load is not None
                    load = subprocess.Popen(
                        [
                            *HARNESS,
                            "audit",
                            "-n",
                            str(args.workers),
                            "-q",
                            "--seed",
                            str(10**6 + i),
                            "--out",
                            f"{tmp}/load-{i}",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                seed = args.first_seed + i
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [*HARNESS, "gate", "-n", str(args.workers), "-q", "--seed", str(seed)],
                    capture_output=True,
                    text=True,
                )
                fixed = _failed_fixed(proc.stdout + proc.stderr)
                if fixed:
                    false_alarms += 1
                elif proc.returncode != 0:
                    other_failures += 1
                print(
                    f"run {i + 1}/{args.runs} seed {seed}: exit {proc.returncode} in "
                    f"{time.perf_counter() - t0:.0f} s"
                    + (f"; FIXED FAILED: {fixed}" if fixed else "")
                    + (
                        f"; {proc.stdout.strip().splitlines()[-1:]}"
                        if proc.returncode and not fixed
                        else ""
                    ),
                    flush=True,
                )
        finally:
            if load is not None and load.poll() is None:
                load.terminate()
                load.wait()
    print(
        f"soak: {args.runs} gate runs under a concurrent audit ({load_runs} audits done): "
        f"{false_alarms} with a fixed variant failing (false alarms), "
        f"{other_failures} other non-zero exits"
    )
    return 1 if false_alarms else 0


if __name__ == "__main__":
    sys.exit(main())

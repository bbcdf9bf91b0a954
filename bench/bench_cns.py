"""Time the CNS part of the audit: ``harness audit --fix CNS-1 ... --fix CNS-8 -n 2`` (every CNS scenario on
every variant), and print the wall time beside the machine's load average.

    .venv/bin/python bench/bench_cns.py [-n 2] [--seed N]

A benchmark, not a timed test: the figure depends on the machine and its load.
The target (issue 12): at most 25 s with ``-n 2`` on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", "--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    harness = Path(sys.executable).with_name("harness")
    with tempfile.TemporaryDirectory(prefix="bench-cns-") as out:
        fixes = [a for k in range(1, 9) for a in ("--fix", f"CNS-{k}")]
        cmd = [str(harness), "audit", *fixes, "-n", str(args.workers), "-q"]
        cmd += ["--seed", str(args.seed), "--out", out]
        load = os.getloadavg()
        start = time.monotonic()
        done = subprocess.run(cmd, check=False)
        took = time.monotonic() - start
    load_after = os.getloadavg()
    print(f"CNS audit (-n {args.workers}, seed {args.seed}): {took:.1f} s, exit {done.returncode}")
    print(
        "load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(
            *load, *load_after
        )
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())

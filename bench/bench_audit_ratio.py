"""Audit time before/after a change, from one run of this script: the two audits back to back,
the same --seed and workers, on the same machine load. Prints both times and the ratio.

    python bench/bench_audit_ratio.py --before main [--seed 1234] [-n 2] [--fix AGT-2 ...]

The "before" tree is ``git archive`` of the ref into a temporary directory, run with this
environment's interpreter and that tree first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _audit(tree: Path, out: Path, args: argparse.Namespace) -> float:
    cmd = [
        sys.executable,
        "-m",
        "harness.cli",
        "audit",
        "-q",
        "-n",
        str(args.workers),
        "--seed",
        str(args.seed),
        "--out",
        str(out),
    ]
    for fix in args.fix or []:
        cmd += ["--fix", fix]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    took = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(
            f"audit in {tree} failed ({proc.returncode}): {proc.stdout[-500:]}{proc.stderr[-500:]}"
        )
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref of the 'before' tree")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("-n", "--workers", type=int, default=2)
    parser.add_argument("--fix", action="append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        before_tree = Path(tmp) / "before"
        before_tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(before_tree)], input=archive, check=True)
        before = _audit(before_tree, Path(tmp) / "out-before", args)
        after = _audit(ROOT, Path(tmp) / "out-after", args)
    print(
        f"audit before ({args.before}): {before:.1f} s; after (this tree): {after:.1f} s; "
        f"ratio after/before {after / before:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

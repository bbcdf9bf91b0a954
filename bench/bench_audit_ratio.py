"""Audit time before/after a change, from one run of this script: the two audits interleaved
(before, after, before, after, ...: ``--rounds`` of each), the same --seed and workers, so
a busy machine weighs on both sides alike. Prints every time, each side's median and the
ratio of the medians, and compares the state-change tables of the first round (same seed:
every scenario x variant verdict the same, no pre-fix variant with fewer failing cases).

    python bench/bench_audit_ratio.py --before 033b280 --fix AGT --fix QUE [--rounds 3]

The "before" tree is ``git archive`` of the ref into a temporary directory, run with this
environment's interpreter and that tree first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import compare_runs  # noqa: E402  (beside this script)

from harness.audit.settings import load_settings  # noqa: E402
from harness.catalog import load_catalog  # noqa: E402
from harness.errors import ConfigError  # noqa: E402


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
    for fix in args.fixes:
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
    parser.add_argument("--rounds", type=int, default=2, help="audits of each side (>= 1)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    # As fix ids: an older tree may not know system ids (``QUE`` for all its fixes).
    catalog = load_catalog(load_settings(ROOT).catalog)
    try:
        args.fixes = catalog.check_fix_ids(args.fix or [])
    except ConfigError as exc:
        parser.error(str(exc))
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        before_tree = Path(tmp) / "before"
        before_tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(before_tree)], input=archive, check=True)
        times: dict[str, list[float]] = {"before": [], "after": []}
        for i in range(args.rounds):
            for side, tree in (("before", before_tree), ("after", ROOT)):
                took = _audit(tree, Path(tmp) / f"out-{side}-{i}", args)
                times[side].append(took)
                print(f"round {i + 1} {side}: {took:.1f} s", flush=True)
        # The same --seed on both sides: the state-change table must not have moved.
        print("state-change table, round 1 before vs after (bench/compare_runs.py):")
        moved = compare_runs.main(
            str(Path(tmp) / "out-before-0" / "results.json"),
            str(Path(tmp) / "out-after-0" / "results.json"),
        )
    before = statistics.median(times["before"])
    after = statistics.median(times["after"])
    print(
        f"audit before ({args.before}): median {before:.1f} s of {len(times['before'])}; "
        f"after (this tree): median {after:.1f} s of {len(times['after'])}; "
        f"ratio after/before {after / before:.2f}"
    )
    return moved


if __name__ == "__main__":
    sys.exit(main())

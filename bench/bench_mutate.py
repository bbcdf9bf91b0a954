"""Mutation run speed: each fix alone (its own pytest session), mutants per minute and wall time.

    .venv/bin/python bench/bench_mutate.py [--fix AGT-2 --fix QUE] [-n 2] [--target-s 120] [--save]

Prints, per fix: mutants run, killed, wall time, mutants per minute, and
whether the run fits the target (2 minutes with -n 2 on the project machine).
Each fix runs as ``harness mutate --fix <id>`` runs it (its own session, the
last run's killers first); ``--save`` also writes its score to reports/mutation/
as that command does. A benchmark, not a timed test: the figure depends on the
machine and its load.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.audit.settings import load_settings  # noqa: E402
from harness.mutate import store  # noqa: E402
from harness.mutate.runner import Options, load, run_fix  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fix", action="append", help="fix or system id (default: AGT-2)")
    parser.add_argument("-n", "--workers", type=int, default=2)
    parser.add_argument("--target-s", type=float, default=120.0)
    parser.add_argument("--save", action="store_true", help="write each score to reports/mutation/")
    args = parser.parse_args(argv)
    settings = load_settings(ROOT)
    mapping, catalog = load(settings)
    fixes = mapping.select(args.fix or ["AGT-2"], catalog)
    print(f"{'fix':<7} {'mutants':>7} {'caught':>14} {'wall s':>7} {'per min':>8}  target")
    slow = 0
    first = store.killers(settings.reports)  # per mutant: a fix's saved score changes only its own
    for fix in fixes:
        opts = Options(workers=args.workers, first=first)
        score = run_fix(settings, fix, mapping.equivalents, opts)
        if args.save:
            store.save(settings.reports, score)
        ran = score.considered
        per_min = ran / score.wall_s * 60 if score.wall_s else 0.0
        fits = score.wall_s <= args.target_s
        slow += not fits
        print(
            f"{fix.fix_id:<7} {ran:>7} {score.caught:>14} {score.wall_s:>7.1f} "
            f"{per_min:>8.1f}  {'ok' if fits else 'OVER'} ({args.target_s:.0f} s)"
        )
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())

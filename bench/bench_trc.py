"""Run the TRC scenarios once (prefix, seed, fixed) and print the wall time and the state-change table.

    .venv/bin/python bench/bench_trc.py [--seed N] [--cases] [extra pytest args, e.g. -n 2]

The table is computed from the scenario results pytest wrote, never by hand. A
benchmark, not a timed test: the figure depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import sys

from scenario_bench import print_report, run_scenarios

VARIANTS = ("prefix", "seed", "fixed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", action="store_true", help="also list every failing case")
    args, extra = parser.parse_known_args(argv)
    run = run_scenarios("scenarios/trc", args.seed, extra)
    return print_report("TRC", run, VARIANTS, extra, args.cases)


if __name__ == "__main__":
    sys.exit(main())

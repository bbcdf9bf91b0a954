"""Mutation scores in ``harness audit`` and ``harness gate``: a few lines there, the rest here.

- ``audit``: the report shows each fix's score: measured now with ``--mutate``,
  else the last scores ``harness mutate`` saved (``<reports>/mutation/``), with
  the commit and date they were measured at.
- ``gate``: nothing by default; ``--mutate`` measures the selected fixes and
  the gate fails (exit 1) when one scores below ``--min-mutation-score``.
"""

from __future__ import annotations

import argparse
from typing import Any

from harness.audit.model import Run
from harness.audit.settings import Settings
from harness.mutate import store
from harness.mutate.model import FixScore
from harness.mutate.runner import DEFAULT_TIMEOUT_S, Options, load, run_fixes

DEFAULT_MIN_SCORE = 0.95


def add_arguments(parser: argparse.ArgumentParser, gate: bool = False) -> None:
    parser.add_argument(
        "--mutate",
        action="store_true",
        help="also run mutation testing of the selected fixes' fixed code (slow: minutes per fix)",
    )
    parser.add_argument(
        "--mutation-timeout-s", type=int, default=DEFAULT_TIMEOUT_S, help=argparse.SUPPRESS
    )
    if gate:
        parser.add_argument(
            "--min-mutation-score",
            type=float,
            default=DEFAULT_MIN_SCORE,
            help="with --mutate: fail when a fix's score is below this (default 0.95)",
        )


def attach(run: Run, settings: Settings, args: argparse.Namespace) -> list[str]:
    """Put mutation scores into the run; return lines for the console (and the run's errors)."""
    fix_ids = sorted({r.fix_id for r in run.results})
    mapping, catalog = load(settings) if _has_map(settings) else (None, None)
    if mapping is None or catalog is None:
        return []
    mapped = [f for f in fix_ids if f in mapping.fixes]
    if not getattr(args, "mutate", False):
        saved = store.load_all(settings.reports)
        scores = {f: saved[f] for f in mapped if f in saved}
        if scores:
            run.mutation = {
                "source": "the last `harness mutate` of each fix (" + store.describe(scores) + ")",
                "scores": {f: s.to_json() for f, s in scores.items()},
            }
        return []
    opts = Options(
        workers=max(getattr(args, "workers", 0) or 0, 1),
        timeout_s=args.mutation_timeout_s,
        backend=getattr(args, "backend", None),
    )
    out = run_fixes(settings, [mapping.fixes[f] for f in mapped], mapping.equivalents, opts)
    for score in out.scores:
        store.save(settings.reports, score)
    run.mutation = {
        "source": f"this run (`harness mutate`, -n {opts.workers}, {out.wall_s:.0f} s)",
        "scores": {s.fix_id: s.to_json() for s in out.scores},
        "failures": out.failures,
    }
    return [f"mutation: {problem}" for problem in out.failures.values()]


def gate(run: Run, args: argparse.Namespace, code: int, lines: list[str]) -> tuple[int, list[str]]:
    """With ``--mutate``: exit 1 when a measured fix scores below the bar (2 if one could not)."""
    if not getattr(args, "mutate", False):
        return code, lines
    scores = [FixScore.from_json(v) for v in run.mutation.get("scores", {}).values()]
    low = [s for s in scores if s.score is not None and s.score < args.min_mutation_score]
    out = list(lines)
    for s in scores:
        out.append(f"MUTATION: {s.fix_id} caught {s.caught}")
    for s in low:
        out.append(
            f"REGRESSED: {s.fix_id} mutation score {s.caught} is below "
            f"{args.min_mutation_score:.0%}; `harness mutate --fix {s.fix_id}` lists the survivors"
        )
    failures: dict[str, Any] = run.mutation.get("failures", {})
    out += [f"UNDECIDED: mutation: {p}" for p in failures.values()]
    if low:
        code = max(code, 1) if code != 2 else code
    elif failures and code == 0:
        code = 2
    return code, out


def _has_map(settings: Settings) -> bool:
    from harness.mutate.targets import FOLDER

    return (settings.catalog / FOLDER).is_dir()

"""``harness mutate``: how many plausible bugs in a fix's fixed code its scenarios catch.

    harness mutate --fix AGT-2            # one fix
    harness mutate --fix AGT -n 2         # every mapped fix of a system
    harness mutate --fix AGT-6 --list     # the mutants, without running them

Prints each fix's score (killed / mutants not marked equivalent) and every
mutant that was not caught (file, line, the change), writes the scores to
``<reports>/mutation/<FIX>.json`` (the audit reads them), and exits 1 when a
fix scores below ``--min-score``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.audit.model import Run
from harness.audit.settings import Settings, load_settings
from harness.cli import Command, register
from harness.errors import ConfigError
from harness.mutate import audit_hook, build, store
from harness.mutate.model import FixScore
from harness.mutate.runner import DEFAULT_TIMEOUT_S, Options, load, run_fixes
from harness.report.folder import write_report


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fix",
        action="append",
        help="fix id (AGT-2) or system id (AGT: all its mapped fixes); repeat or comma-separate",
    )
    parser.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers")
    parser.add_argument(
        "--timeout-s",
        type=int,
        default=DEFAULT_TIMEOUT_S,
        help="per test and mutant; past it the mutant counts as timeout, not killed",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants; run nothing")
    parser.add_argument("--mutant", action="append", help="run only this mutant id (repeatable)")
    parser.add_argument("--backend", help="server backend (as HARNESS_BACKEND)")
    parser.add_argument("--keep", type=Path, help="keep the run folders here (debugging)")
    parser.add_argument("--json", type=Path, help="also write every score to this file")
    parser.add_argument(
        "--min-score", type=float, default=0.0, help="exit 1 when a fix scores below (0..1)"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write reports/mutation/")
    parser.add_argument(
        "--attach",
        type=Path,
        metavar="RESULTS_JSON",
        help="put the saved scores into this audit's results.json and render its report again",
    )


def run(args: argparse.Namespace) -> int:
    if args.workers < 0:
        raise ConfigError(f"-n must be >= 0, got {args.workers}")
    if args.timeout_s < 1:
        raise ConfigError(f"--timeout-s must be >= 1, got {args.timeout_s}")
    if not 0.0 <= args.min_score <= 1.0:
        raise ConfigError(f"--min-score must be between 0 and 1, got {args.min_score}")
    settings = load_settings()
    if args.attach is not None:
        return _attach(settings, args.attach)
    if not args.fix:
        raise ConfigError("say which fixes: --fix AGT-2 (or a system: --fix AGT), or --attach")
    mapping, catalog = load(settings)
    wanted = [w for part in args.fix for w in part.split(",") if w.strip()]
    fixes = mapping.select(wanted, catalog)
    if args.list:
        for fix in fixes:
            mutants = build.mutants_of(build.generate(settings.root, fix))
            print(f"{fix.fix_id}: {len(mutants)} mutants")
            for m in mutants:
                mark = "  [equivalent]" if m.id in mapping.equivalents else ""
                print(f"  {m.id}  {m.change}{mark}")
        return 0
    opts = Options(
        workers=args.workers,
        timeout_s=args.timeout_s,
        backend=args.backend,
        keep_dir=args.keep,
        only=args.mutant,
        first=store.killers(settings.reports),
    )
    out = run_fixes(settings, fixes, mapping.equivalents, opts, say=print)
    for score in out.scores:
        _print_score(score)
        if not args.no_save and args.mutant is None:
            store.save(settings.reports, score)
    if args.json is not None:
        args.json.write_text(json.dumps([s.to_json() for s in out.scores], indent=1) + "\n")
    print(f"{len(out.scores)} fix(es) scored in {out.wall_s:.0f}s with -n {args.workers}")
    for problem in out.failures.values():
        print(f"harness: error: {problem}", file=sys.stderr)
    if out.failures:
        return 2
    low = [s for s in out.scores if s.score is not None and s.score < args.min_score]
    return 1 if low else 0


def _attach(settings: Settings, results: Path) -> int:
    run = Run.load(results)
    audit_hook.attach(run, settings, argparse.Namespace(mutate=False))
    if not run.mutation:
        raise ConfigError(f"no saved mutation score for the fixes of {results}; run harness mutate")
    folder = write_report(run, results.parent)
    print(
        f"report: {folder}/VERIFICATION.md with the mutation scores of {len(run.mutation['scores'])} fix(es)"
    )
    return 0


def _print_score(score: FixScore) -> None:
    print(
        f"{score.fix_id}: caught {score.caught}; killed {score.count('killed')}, "
        f"survived {score.count('survived')}, timeout {score.count('timeout')}, "
        f"equivalent {score.count('equivalent')}"
    )
    for m in score.not_caught():
        print(f"  {m.status.upper():<8} {m.file}:{m.line} {m.change}")
        print(f"           id {m.id}")
    for m in score.mutants:
        if m.status == "equivalent":
            print(f"  EQUIV    {m.file}:{m.line} {m.change}  ({m.reason})")
    for stale in score.stale_equivalents:
        print(f"  STALE equivalence mark (matches no mutant): {stale}")


register(
    Command("mutate", "mutation testing: do a fix's scenarios catch its next bug?", setup, run)
)

"""``harness audit``, ``gate``, ``repro``, ``list`` and ``report``: the audit's commands.

Exit codes follow Jepsen: 0 all good, 1 something regressed (or a replay did
not reproduce), 2 the harness could not run or could not decide.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from harness.audit import listing
from harness.audit import repro as repro_mod
from harness.audit.model import Run
from harness.audit.progress import Display
from harness.audit.runner import Selection, run_pytest
from harness.audit.service import default_folder, gate_verdict, load_inputs, run_scenarios
from harness.audit.settings import load_settings
from harness.cli import Command, register
from harness.errors import ConfigError
from harness.mutate import audit_hook as mutate_hook
from harness.procs import state
from harness.report.folder import LATEST, check_target, write_report
from harness.report.junit import render as render_junit


def _csv_list(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def _selection_args(p: argparse.ArgumentParser, run: bool = True) -> None:
    p.add_argument(
        "--fix",
        action="append",
        metavar="FIX",
        help="only this fix id, or every fix of a system id (repeatable), e.g. AGT-2 or AGT",
    )
    if not run:
        return
    p.add_argument(
        "--variant", action="append", metavar="NAME", help="only this variant (repeatable)"
    )
    p.add_argument("--backend", help="server backend (default: the harness's embedded default)")
    p.add_argument("-n", "--workers", type=int, default=0, metavar="N", help="pytest-xdist workers")
    p.add_argument("--seed", type=int, default=None, help="base seed of every random choice")


def _check_backend(name: str | None) -> None:
    """An unknown backend fails here, in one line, not in every scenario of the child run."""
    if name is None:
        return
    try:
        import harness.backends  # noqa: F401  (registers the backends)
        from harness.backends.registry import get
    except ImportError:
        return
    get(name)


def _check_settings(backend: str | None) -> None:
    """Every server setting and the work directory, before a run that would fail on them
    in every scenario (one line here, not one UNDECIDED line per scenario)."""
    _check_backend(backend)
    try:
        from harness.backends.settings import resolve
    except ImportError:
        return
    resolve({"backend": backend}).check()
    state.work_dir()


def _seed(given: int | None) -> int | None:
    """``--seed``, else ``HARNESS_SEED`` (which the scenario run would read anyway)."""
    if given is not None:
        return given
    raw = os.environ.get("HARNESS_SEED", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"HARNESS_SEED must be an integer, got {raw!r}") from None


def _selection(args: argparse.Namespace) -> Selection:
    if args.workers < 0:
        raise ConfigError(f"--workers must be 0 or more, got {args.workers}")
    _check_settings(args.backend)
    return Selection(
        fixes=[f.upper() for f in _csv_list(args.fix)],
        variants=_csv_list(args.variant),
        seed=_seed(args.seed),
        workers=args.workers,
        backend=args.backend,
    )


def _command(name: str, args: argparse.Namespace) -> str:
    """The command as a user would retype it, rebuilt from the parsed options."""
    parts = ["harness", name]
    for fix in _csv_list(args.fix):
        parts += ["--fix", fix.upper()]
    for variant in _csv_list(getattr(args, "variant", None)):
        parts += ["--variant", variant]
    if getattr(args, "backend", None):
        parts += ["--backend", args.backend]
    if getattr(args, "workers", 0):
        parts += ["-n", str(args.workers)]
    if getattr(args, "seed", None) is not None:
        parts += ["--seed", str(args.seed)]
    return shlex.join(parts)


# ---- audit ----------------------------------------------------------------------


def _setup_audit(p: argparse.ArgumentParser) -> None:
    _selection_args(p)
    p.add_argument(
        "--out", type=Path, help="write the report folder here (default reports/<UTC time>/)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    mutate_hook.add_arguments(p)


def _run_audit(args: argparse.Namespace) -> int:
    settings = load_settings()
    # Fail before a long run, not after it, when the report could not be written there.
    check_target(args.out if args.out is not None else settings.reports / "new-report")
    run = run_scenarios(
        settings, _selection(args), _command("audit", args), Display(quiet=args.quiet)
    )
    mutation_lines = mutate_hook.attach(run, settings, args)
    target = args.out if args.out is not None else default_folder(settings, run)
    folder = write_report(run, target, None if args.out is not None else settings.reports)
    code, lines = gate_verdict(run)
    lines += mutation_lines
    print(f"report: {folder}/VERIFICATION.md (and report.html, results.json, junit.xml)")
    for line in lines:
        print(line)
    return code


# ---- gate -----------------------------------------------------------------------


def _setup_gate(p: argparse.ArgumentParser) -> None:
    _selection_args(p)
    p.add_argument(
        "--from", dest="source", type=Path, help="gate on a results.json instead of running"
    )
    p.add_argument("--junit", type=Path, help="also write JUnit XML here")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    mutate_hook.add_arguments(p, gate=True)


def _run_gate(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.source is not None:
        run = Run.load(args.source)
    else:
        run = run_scenarios(
            settings, _selection(args), _command("gate", args), Display(quiet=args.quiet)
        )
    if args.junit is not None:
        try:
            args.junit.write_text(render_junit(run))
        except OSError as exc:
            raise ConfigError(f"cannot write {args.junit}: {exc.strerror or exc}") from None
    if args.mutate and args.source is None:
        mutate_hook.attach(run, settings, args)
    code, lines = mutate_hook.gate(run, args, *gate_verdict(run))
    for line in lines:
        print(f"gate: {line}")
    return code


# ---- repro ----------------------------------------------------------------------


def _setup_repro(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "case", metavar="CASE-ID", help="FIX/SCENARIO/VARIANT[:CASE], as a report prints it"
    )
    p.add_argument(
        "--seed", type=int, default=None, help="the scenario's seed (default: the recorded one)"
    )
    p.add_argument(
        "--keep", action="store_true", help="leave the servers up and print how to connect"
    )
    p.add_argument("--backend", help="server backend")
    p.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="results.json holding the recorded verdict (default: reports/latest/results.json)",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=repro_mod.RERUNS,
        metavar="N",
        help="runs of a hammer case, which is re-run, not replayed exactly "
        f"(default {repro_mod.RERUNS}); exit 0 if the recorded verdict recurred in any",
    )


def _run_repro(args: argparse.Namespace) -> int:
    settings = load_settings()
    catalog, _ = load_inputs(settings)
    source = args.source
    if source is None:
        source = settings.reports / LATEST / "results.json"
    elif not source.exists():
        raise ConfigError(f"--from {source}: no such file")
    _check_settings(args.backend)
    return repro_mod.repro(
        settings,
        catalog,
        args.case,
        _seed(args.seed),
        args.keep,
        args.backend,
        source,
        runs=args.runs,
    )


# ---- list -----------------------------------------------------------------------


def _setup_list(p: argparse.ArgumentParser) -> None:
    _selection_args(p, run=False)
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print the fix catalog as a Markdown page (docs/fixes.md is its output)",
    )


def _run_list(args: argparse.Namespace) -> int:
    settings = load_settings()
    catalog, claims = load_inputs(settings)
    if args.markdown:
        source = settings.catalog.relative_to(settings.root).as_posix()
        print(listing.render_catalog_markdown(catalog, source), end="")
        return 0
    fixes = catalog.check_fix_ids([f.upper() for f in _csv_list(args.fix)])
    collected = run_pytest(settings, Selection(fixes=fixes, collect_only=True)).collected
    print(listing.render_listing(catalog, claims, collected, fixes), end="")
    return 0


# ---- report ---------------------------------------------------------------------


def _setup_report(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="source", type=Path, help="a results.json")
    p.add_argument(
        "--recheck",
        type=Path,
        metavar="RESULTS.json",
        help="judge a stored run again from its records (no server); exit 1 if a verdict differs",
    )
    p.add_argument("--out", type=Path, help="report folder (default: the folder of --from)")


def _run_report(args: argparse.Namespace) -> int:
    if args.recheck is not None:
        from harness.audit.recheck import recheck

        # The project's own checkers live in its checkout (scenarios/), which is not
        # installed: put the project folder on the path, as pytest's pythonpath does.
        root = str(load_settings().root)
        if root not in sys.path:
            sys.path.insert(0, root)
        outcome, _ = recheck(Run.load(args.recheck).results)
        print(outcome.summary())
        for ref, was, now in outcome.changed[:20]:
            print(f"  {ref}: was {was}, now {now}")
        return 0 if outcome.identical else 1
    if args.source is None:
        raise ConfigError(
            "harness report needs --from RESULTS.json (re-render) or --recheck RESULTS.json"
        )
    run = Run.load(args.source)
    target = args.out if args.out is not None else args.source.absolute().parent
    folder = write_report(run, target)
    print(f"report: {folder}/VERIFICATION.md")
    return 0


register(
    Command(
        "audit",
        "run every scenario on every variant and write the report folder",
        _setup_audit,
        _run_audit,
    )
)
register(
    Command(
        "gate",
        "exit 0 only if every fixed variant passes and every pre-fix one is caught",
        _setup_gate,
        _run_gate,
    )
)
register(
    Command(
        "repro", "replay one case of a report and check it reproduces", _setup_repro, _run_repro
    )
)
register(Command("list", "list fixes, scenarios, variants and claims", _setup_list, _run_list))
register(
    Command("report", "re-render a report folder from a results.json", _setup_report, _run_report)
)

"""Run fixes' scenarios against every mutant of their fixed variants: one pytest session.

The session runs the fixes' tests on the ``fixed`` variant only, each once on
the original code (all must pass, or that fix is not scored: a score against
a failing baseline means nothing) and once per mutant of its own fix, with
``-n`` workers sharing the work. Several fixes share one session, so their
servers and fork server start once. See ``harness.mutate.plugin`` for what
happens per item.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import procs
from harness.audit.runner import _signals_raise, _start, _stop, _Terminated
from harness.audit.settings import Settings
from harness.catalog import Catalog, load_catalog
from harness.errors import ConfigError, HarnessError
from harness.mutate import build
from harness.mutate.generate import Mutant
from harness.mutate.model import FixScore, MutantResult
from harness.mutate.runtime import ENV_DIR, ENV_MUTANT
from harness.mutate.targets import FixTargets, MutationMap, load_map

DEFAULT_TIMEOUT_S = 60
_BROKEN = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}


class MutationRunFailed(HarnessError):
    """The mutation run could not decide (the original code failed, pytest broke)."""


@dataclass
class Options:
    workers: int = 2
    timeout_s: int = DEFAULT_TIMEOUT_S
    backend: str | None = None
    keep_dir: Path | None = None  # write the run folder here and keep it (debugging)
    only: list[str] | None = None  # run only these mutant ids (a replay)
    #: mutant id -> the test (node id less its parameters) that killed it last time: run first
    first: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """What a session decided: a score per fix, or why a fix could not be scored."""

    scores: list[FixScore] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0


def load(settings: Settings) -> tuple[MutationMap, Catalog]:
    return load_map(settings.catalog), load_catalog(settings.catalog)


@dataclass
class _Planned:
    fix: FixTargets
    generated: dict[str, tuple[str, list]]
    mutants: list[Mutant]
    to_run: list[Mutant]


def _plan(
    settings: Settings, fix: FixTargets, equivalents: dict[str, str], opts: Options
) -> _Planned:
    generated = build.generate(settings.root, fix)
    mutants = build.mutants_of(generated)
    if opts.only is not None:
        mutants = [m for m in mutants if m.id in opts.only]
    return _Planned(fix, generated, mutants, [m for m in mutants if m.id not in equivalents])


def run_fixes(
    settings: Settings,
    fixes: list[FixTargets],
    equivalents: dict[str, str],
    opts: Options,
    say: Callable[[str], None] = lambda line: None,
) -> Outcome:
    planned = [_plan(settings, fix, equivalents, opts) for fix in fixes]
    if opts.only is not None:
        known = {m.id for p in planned for m in p.mutants}
        unknown = sorted(set(opts.only) - known)
        if unknown:
            raise ConfigError(f"no mutant {unknown[0]!r} in the chosen fixes; see --list")
    for p in planned:
        say(
            f"{p.fix.fix_id}: {len(p.mutants)} mutants "
            f"({len(p.mutants) - len(p.to_run)} marked equivalent)"
        )
    t0 = time.perf_counter()
    outcomes: list[dict[str, Any]] = []
    runnable = [p for p in planned if p.to_run]
    if runnable:
        if opts.keep_dir is not None:
            folder = opts.keep_dir / "-".join(p.fix.fix_id for p in runnable)[:100]
            folder.mkdir(parents=True, exist_ok=True)
            outcomes = _session(settings, runnable, opts, folder)
        else:
            # Tracked: if this process is SIGKILLed, the next run's reaper removes it.
            tmp = procs.temp_dir("harness-mutate-")
            try:
                outcomes = _session(settings, runnable, opts, tmp)
            finally:
                procs.remove_path(tmp)
    wall = time.perf_counter() - t0
    result = Outcome(wall_s=wall)
    for p in planned:
        fix_id = p.fix.fix_id
        mine = [o for o in outcomes if o.get("fix") == fix_id]
        if p.to_run:
            problem = _baseline_problem(fix_id, mine)
            if problem is not None:
                result.failures[fix_id] = problem
                continue
        score = FixScore(fix_id, wall_s=wall, workers=opts.workers)
        score.mutants = [_result(m, mine, equivalents) for m in p.mutants]
        known = {m.id for m in build.mutants_of(p.generated)}
        prefixes = tuple(f"{t.file}::{t.name}:" for t in p.fix.targets)
        score.stale_equivalents = sorted(
            e for e in equivalents if e.startswith(prefixes) and e not in known
        )
        result.scores.append(score)
    return result


def run_fix(
    settings: Settings,
    fix: FixTargets,
    equivalents: dict[str, str],
    opts: Options,
    say: Callable[[str], None] = lambda line: None,
) -> FixScore:
    """One fix alone (its own session, so its wall time is its own)."""
    out = run_fixes(settings, [fix], equivalents, opts, say)
    if out.failures:
        raise MutationRunFailed(out.failures[fix.fix_id])
    return out.scores[0]


def _session(
    settings: Settings, planned: list[_Planned], opts: Options, folder: Path
) -> list[dict[str, Any]]:
    merged = build.merge([p.generated for p in planned])
    by_fix = {p.fix.fix_id: [m.id for m in p.to_run] for p in planned}
    build.prepare(folder, merged, by_fix, opts.timeout_s, opts.first)
    argv = [
        sys.executable,
        "-m",
        "pytest",
        str(settings.scenarios),
        "-p",
        "harness.mutate.plugin",
        "--rootdir",
        str(settings.root),
        "-q",
        "-o",
        "console_output_style=classic",
        "--harness-fixes",
        ",".join(by_fix),
        "--harness-variants",
        "fixed",
        "--basetemp",  # tmp_path folders inside the run's tracked folder, removed with it
        str(folder / "basetemp"),
    ]
    if opts.workers > 0:
        argv += ["-n", str(opts.workers), "--dist", "loadgroup"]
    else:
        argv += ["-p", "no:xdist"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_EVENTS"))}
    env.pop(ENV_MUTANT, None)
    env[ENV_DIR] = str(folder)
    site = str(folder / "site")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [site, env.get("PYTHONPATH")]))
    if opts.backend:
        env["HARNESS_BACKEND"] = opts.backend
    log = folder / "pytest.log"
    with open(log, "w") as fh:
        proc = _start(argv, settings.root, env, fh)
        # Interrupted (Ctrl-C, SIGTERM): the run's whole process group is stopped at once.
        try:
            with _signals_raise():
                proc.wait()
        except _Terminated:
            _stop(proc)
            raise MutationRunFailed("terminated (SIGTERM); the mutation run was stopped") from None
        except BaseException:
            _stop(proc)
            raise
    text = log.read_text(errors="replace")
    if proc.returncode in _BROKEN or proc.returncode < 0:
        last = next((ln for ln in reversed(text.splitlines()) if ln.strip()), "")
        raise MutationRunFailed(
            f"pytest could not run the mutants of {', '.join(by_fix)} "
            f"({_BROKEN.get(proc.returncode, f'signal {-proc.returncode}')}): {last}"
        )
    return [
        json.loads(line)
        for path in sorted(folder.glob("outcomes-*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def _baseline_problem(fix_id: str, outcomes: list[dict[str, Any]]) -> str | None:
    baseline = [o for o in outcomes if o["mutant"] == ""]
    if not baseline:
        return f"{fix_id}: no test of this fix ran on the original code"
    broken = [o for o in baseline if o["status"] != "survived"]
    if broken:
        first = broken[0]
        return (
            f"{fix_id}: the original fixed code fails {first['nodeid']} "
            f"({first['status']}: {_evidence_line(first.get('evidence'))}); "
            "a mutation score needs a passing baseline"
        )
    return None


def _evidence_line(evidence: Any) -> str:
    if isinstance(evidence, dict):
        if "error" in evidence:
            return str(evidence["error"])
        return f"{evidence.get('scenario', '')}:{evidence.get('case', '')} {evidence.get('summary', '')}"
    return str(evidence or "")


def _result(m: Mutant, outcomes: list[dict[str, Any]], equivalents: dict[str, str]) -> MutantResult:
    base = MutantResult(m.id, m.file, m.target, m.line, m.operator, m.change, "survived")
    if m.id in equivalents:
        base.status, base.reason = "equivalent", equivalents[m.id]
        return base
    mine = [o for o in outcomes if o["mutant"] == m.id and o["status"] != "skipped"]
    base.items = len(mine)
    killed = [o for o in mine if o["status"] in ("killed", "error")]
    if killed:
        base.status = "killed"
        base.evidence = {"test": killed[0]["nodeid"], **_as_dict(killed[0].get("evidence"))}
    elif any(o["status"] == "timeout" for o in mine):
        base.status = "timeout"
        base.evidence = {"test": next(o["nodeid"] for o in mine if o["status"] == "timeout")}
    elif not mine:
        base.evidence = {"note": "no test ran against it"}
    return base


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {"error": str(value)}

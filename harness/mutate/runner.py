"""Run a fix's scenarios against every mutant of its fixed variant: one pytest session.

The session runs the fix's tests on the ``fixed`` variant only, each once on
the original code (all must pass, or the run stops: a score against a failing
baseline means nothing) and once per mutant, with ``-n`` workers sharing the
mutants. See ``harness.mutate.plugin`` for what happens per item.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.audit.settings import Settings
from harness.catalog import load_catalog
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


def load(settings: Settings) -> tuple[MutationMap, Any]:
    return load_map(settings.catalog), load_catalog(settings.catalog)


def run_fix(
    settings: Settings,
    fix: FixTargets,
    equivalents: dict[str, str],
    opts: Options,
    say: Callable[[str], None] = lambda line: None,
) -> FixScore:
    generated = build.generate(settings.root, fix)
    mutants = build.mutants_of(generated)
    if opts.only is not None:
        unknown = sorted(set(opts.only) - {m.id for m in mutants})
        if unknown:
            raise ConfigError(f"{fix.fix_id} has no mutant {unknown[0]!r}; see --list")
        mutants = [m for m in mutants if m.id in opts.only]
    to_run = [m for m in mutants if m.id not in equivalents]
    say(f"{fix.fix_id}: {len(mutants)} mutants ({len(mutants) - len(to_run)} marked equivalent)")
    t0 = time.perf_counter()
    outcomes: list[dict[str, Any]] = []
    if to_run:
        if opts.keep_dir is not None:
            folder = opts.keep_dir / fix.fix_id
            folder.mkdir(parents=True, exist_ok=True)
            outcomes = _session(settings, fix, generated, to_run, opts, folder)
        else:
            with tempfile.TemporaryDirectory(prefix="harness-mutate-") as tmp:
                outcomes = _session(settings, fix, generated, to_run, opts, Path(tmp))
    score = FixScore(fix.fix_id, wall_s=time.perf_counter() - t0, workers=opts.workers)
    score.mutants = [_result(m, outcomes, equivalents) for m in mutants]
    known = {m.id for m in mutants}
    prefixes = {f"{t.file}::{t.name}:" for t in fix.targets}
    score.stale_equivalents = sorted(
        e for e in equivalents if e.startswith(tuple(prefixes)) and e not in known
    )
    return score


def _session(
    settings: Settings,
    fix: FixTargets,
    generated: dict[str, tuple[str, list]],
    to_run: list[Mutant],
    opts: Options,
    folder: Path,
) -> list[dict[str, Any]]:
    build.prepare(folder, generated, [fix.fix_id], [m.id for m in to_run], opts.timeout_s)
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
        fix.fix_id,
        "--harness-variants",
        "fixed",
    ]
    argv += ["-n", str(opts.workers)] if opts.workers > 0 else ["-p", "no:xdist"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_EVENTS"))}
    env.pop(ENV_MUTANT, None)
    env[ENV_DIR] = str(folder)
    site = str(folder / "site")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [site, env.get("PYTHONPATH")]))
    if opts.backend:
        env["HARNESS_BACKEND"] = opts.backend
    log = folder / "pytest.log"
    with open(log, "w") as fh:
        proc = subprocess.run(
            argv,
            cwd=settings.root,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    text = log.read_text(errors="replace")
    if proc.returncode in _BROKEN or proc.returncode < 0:
        last = next((ln for ln in reversed(text.splitlines()) if ln.strip()), "")
        raise MutationRunFailed(
            f"{fix.fix_id}: pytest could not run the mutants "
            f"({_BROKEN.get(proc.returncode, f'signal {-proc.returncode}')}): {last}"
        )
    outcomes = [
        json.loads(line)
        for path in sorted(folder.glob("outcomes-*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    baseline = [o for o in outcomes if o["mutant"] == ""]
    if not baseline:
        raise MutationRunFailed(f"{fix.fix_id}: no test of this fix ran on the original code")
    broken = [o for o in baseline if o["status"] != "survived"]
    if broken:
        first = broken[0]
        raise MutationRunFailed(
            f"{fix.fix_id}: the original fixed code fails {first['nodeid']} "
            f"({first['status']}: {_evidence_line(first.get('evidence'))}); "
            "a mutation score needs a passing baseline"
        )
    return outcomes


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
        base.status = "survived"
        base.evidence = {"note": "no test ran against it"}
    return base


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {"error": str(value)}

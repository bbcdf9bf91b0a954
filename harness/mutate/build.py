"""Prepare a mutation run's folder: the mutants, the instrumented modules, the import hook.

Layout of the folder (``HARNESS_MUTANT_DIR`` in every process of the run)::

    manifest.json          module name -> instrumented file
    modules/<module>.py    one instrumented copy per mutated module
    site/sitecustomize.py  on PYTHONPATH: installs the import hook at interpreter start
    plan.json              per fix, its mutant ids in run order; the time limit
"""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from pathlib import Path

from harness.errors import ConfigError
from harness.mutate.generate import Guards, Mutant, Site, find_targets, mutate_sites
from harness.mutate.runtime import SITECUSTOMIZE
from harness.mutate.schemata import instrument
from harness.mutate.targets import FixTargets, Target


def generate(root: Path, fix: FixTargets) -> dict[str, tuple[str, list]]:
    """Per module: its source and its mutated sites (in map order)."""
    by_file: dict[str, list[Target]] = defaultdict(list)
    for t in fix.targets:
        by_file[t.file].append(t)
    out: dict[str, tuple[str, list]] = {}
    for file, targets in by_file.items():
        path = root / file
        try:
            source = path.read_text()
        except OSError as exc:
            raise ConfigError(
                f"{fix.source}: {fix.fix_id} names {file}, which cannot be read ({exc.strerror})"
            ) from None
        tree = ast.parse(source, filename=str(path))
        where = f"{fix.source} ({fix.fix_id}, {file})"
        sites = find_targets(tree, [t.name for t in targets], where)
        mutate_sites(file, sites, Guards(fix.guards))
        for site in sites:  # another fix's code inside a shared function: not ours to catch
            site.mutants = [(m, n) for m, n in site.mutants if fix.excluded(m.id) is None]
        out[file] = (source, sites)
    return out


def mutants_of(generated: dict[str, tuple[str, list]]) -> list[Mutant]:
    return [m for _source, sites in generated.values() for s in sites for m, _ in s.mutants]


def merge(generated: list[dict[str, tuple[str, list]]]) -> dict[str, tuple[str, list]]:
    """One set of sites per file for several fixes (shared functions hold every fix's mutants)."""
    out: dict[str, tuple[str, list]] = {}
    for gen in generated:
        for file, (source, sites) in gen.items():
            if file not in out:
                out[file] = (source, [])
            mine = out[file][1]
            for site in sites:
                same = next((s for s in mine if s.name == site.name), None)
                if same is None:
                    mine.append(Site(site.name, site.kind, site.node, list(site.mutants)))
                    continue
                have = {m.id for m, _ in same.mutants}
                same.mutants += [(m, n) for m, n in site.mutants if m.id not in have]
    return out


def prepare(
    folder: Path,
    generated: dict[str, tuple[str, list]],
    by_fix: dict[str, list[str]],
    timeout_s: int,
    first: dict[str, str] | None = None,
) -> None:
    for stale in [*folder.glob("outcomes-*.jsonl"), *folder.glob("killed/*")]:
        stale.unlink()  # a kept folder used again starts clean
    (folder / "modules").mkdir(parents=True, exist_ok=True)
    (folder / "site").mkdir(exist_ok=True)
    (folder / "killed").mkdir(exist_ok=True)
    modules: dict[str, str] = {}
    for file, (source, sites) in generated.items():
        name = Target(file, "-").module
        rel = f"modules/{name}.py"
        (folder / rel).write_text(instrument(source, sites, name))
        modules[name] = rel
    (folder / "manifest.json").write_text(json.dumps({"modules": modules}, indent=1))
    (folder / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    plan = {"fixes": by_fix, "timeout_s": timeout_s, "first": first or {}}
    (folder / "plan.json").write_text(json.dumps(plan, indent=1))

"""What the project ships and what its files point at.

- the wheel holds the harness only (with the report templates it renders), never the
  systems under test or their scenarios, whose plain names would collide in site-packages;
- docs/fixes.md is the fix catalog, rendered;
- no committed document or source points outside the repository (a user's checkout has
  nothing beside it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness.audit.listing import render_catalog_markdown
from harness.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent


def test_defect11_the_wheel_ships_only_the_harness(tmp_path: Path) -> None:
    # A copy, so the build's own folders (build/, *.egg-info) never land in the checkout.
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".tox", "reports", "__pycache__", "*.egg-info", ".*_cache", "build"
        ),
    )
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    done = subprocess.run(
        [*pip, "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("fault_harness-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"harness", next(t for t in tops if t.endswith(".dist-info"))}, sorted(tops)
    assert not [n for n in names if Path(n).name == "conftest.py" or "/test_" in n]
    for needed in (
        "harness/report/templates/verification.md.j2",
        "harness/report/templates/report.html.j2",
        "harness/cli/__init__.py",
        "harness/plugin.py",
    ):
        assert needed in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "harness = harness.cli:main" in text and "harness = harness.plugin" in text


def test_defect12_docs_fixes_is_the_catalog_rendered() -> None:
    catalog = load_catalog(ROOT / "scenarios" / "catalog")
    want = render_catalog_markdown(catalog, "scenarios/catalog")
    have = (ROOT / "docs" / "fixes.md").read_text()
    assert have == want, "regenerate it: harness list --markdown > docs/fixes.md"
    assert len(catalog.fixes) >= 27 and all(f.id in have for f in catalog.fixes)


def _committed() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        files = [ROOT / line for line in out.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    skip = ("reports/",)  # generated reports hold what a run printed
    return [
        f
        for f in files
        if f.is_file()
        and not f.relative_to(ROOT).as_posix().startswith(skip)
        and (f.suffix in {".md", ".py", ".toml", ".ini", ".j2", ".cfg", ".txt"} or f.name == "run")
    ]


# A path into the project's working area, or up out of the checkout.
# (Spelled in two pieces so that this file does not match itself.)
_OUTSIDE = re.compile(r"\.\./shared|/" r"work/|(?<![\w.])shared/(?:FIXES|DESIGN|STYLE|seeds)")
_MD_LINK = re.compile(r"\]\(([^)#\s]+)")


def test_defect12_no_committed_file_points_outside_the_repository() -> None:
    bad = []
    for path in _committed():
        text = path.read_text(errors="replace")
        rel = path.relative_to(ROOT).as_posix()
        bad += [f"{rel}: {m.group(0)}" for m in _OUTSIDE.finditer(text)]
        if path.suffix == ".md":
            for target in _MD_LINK.findall(text):
                if "://" in target or target.startswith("mailto:"):
                    continue
                resolved = (path.parent / target).resolve()
                if not resolved.is_relative_to(ROOT) or not resolved.exists():
                    bad.append(f"{rel}: link {target}")
    assert bad == []

"""The report folder: every format rendered from one run, written all at once or not at all.

Files are rendered in memory first, written to a temporary folder beside the
target, then the folder is renamed into place: a reader never sees half a
report, and a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness import procs
from harness.audit.analysis import analyze
from harness.audit.model import Run
from harness.errors import ConfigError
from harness.report import html, junit, markdown, results_json

LATEST = "latest"
MARKER = "results.json"  # a folder holding this is a report folder we may replace


def render_all(run: Run) -> dict[str, str]:
    analysis = analyze(run)
    renderers: dict[str, Callable[[], str]] = {
        "VERIFICATION.md": lambda: markdown.render(run, analysis),
        "report.html": lambda: html.render(run, analysis),
        "results.json": lambda: results_json.render(run),
        "junit.xml": lambda: junit.render(run),
    }
    return {name: make() for name, make in renderers.items()}


def check_target(target: Path) -> Path:
    """The folder to write, resolved; one clear error if a report cannot go there."""
    # Through a symlink (reports/latest): replace the folder it points to, not the link.
    target = target.resolve() if target.is_symlink() else target.absolute()
    if target.exists() and not target.is_dir():
        raise ConfigError(f"output folder {target} exists and is a file; choose another --out")
    if target.exists() and not _replaceable(target):
        raise ConfigError(
            f"output folder {target} exists and is not a report folder; choose another --out"
        )
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write the report to {target}: {parent} is not a writable folder")
    # For real: root passes every access() check, even in /proc and /sys.
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".harness-probe-", dir=parent))
    except OSError as exc:
        raise ConfigError(
            f"cannot write the report to {target}: {parent}: {exc.strerror or exc}"
        ) from None
    return target


def write_folder(files: dict[str, str], target: Path) -> Path:
    """Write ``files`` as the folder ``target``, replacing an earlier report folder there."""
    target = check_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {target}: {exc.strerror or exc}") from None
    procs.track_path(tmp)  # a SIGKILL now leaves it to the next run's reaper
    old: Path | None = None
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a report is for reading
        procs.untrack_path(tmp)  # before it becomes the report, which no reaper may remove
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
        tmp.rename(target)
    except OSError as exc:
        if old is not None and not target.exists():
            old.rename(target)  # put the earlier report back
            old = None
        raise ConfigError(f"cannot write the report to {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return target


def _replaceable(folder: Path) -> bool:
    return (folder / MARKER).is_file() or not any(folder.iterdir())


def point_latest(reports: Path, folder: Path) -> None:
    """``reports/latest`` -> the newest report folder, swapped atomically (a relative symlink)."""
    link = reports / LATEST
    if link.exists() and not link.is_symlink():
        return  # someone's real folder: leave it alone
    tmp = reports / f".{LATEST}.tmp-{os.getpid()}"
    try:
        if tmp.is_symlink():
            tmp.unlink()
        tmp.symlink_to(os.path.relpath(folder, reports))
        tmp.replace(link)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot point {link} at {folder}: {exc.strerror or exc}") from None


def write_report(run: Run, target: Path, reports_root: Path | None = None) -> Path:
    """Render and write; with ``reports_root`` also move ``latest`` to it."""
    folder = write_folder(render_all(run), target)
    if reports_root is not None:
        point_latest(reports_root, folder)
    return folder

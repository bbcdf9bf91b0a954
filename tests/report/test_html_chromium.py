"""The report is looked at: headless Chromium renders report.html, and it shows the table and
the timelines. Needs Debian's chromium (optional install step); skipped with a reason without it."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.audit.model import Run

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium to run this)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    try:
        return subprocess.run(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_chromium_shows_the_state_change_table_and_the_timelines(
    toy_audit: Path, toy_run: Run, tmp_path: Path
) -> None:
    url = (toy_audit / "report.html").as_uri()
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    rows = re.findall(r'<tr class="state-row">', dom)
    assert len(rows) == len({(r.fix_id, r.scenario) for r in toy_run.results})
    assert "never_flips" in dom and ">NO<" in dom
    assert dom.count("<svg") >= 3  # race, crash and fault cases of the toy
    assert 'class="fault"' in dom


def test_chromium_screenshot_is_written(toy_audit: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    _chromium(
        tmp_path,
        f"--screenshot={png}",
        "--window-size=1280,2000",
        (toy_audit / "report.html").as_uri(),
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a blank page is a few kB


EXAMPLE = Path(__file__).resolve().parents[2] / "reports" / "latest"


@pytest.mark.skipif(not (EXAMPLE / "report.html").exists(), reason="no committed example report")
def test_chromium_shows_the_committed_example(tmp_path: Path) -> None:
    run = Run.load(EXAMPLE / "results.json")
    dom = _chromium(tmp_path, "--dump-dom", (EXAMPLE / "report.html").as_uri()).stdout
    assert dom.count('<tr class="state-row">') == len({(r.fix_id, r.scenario) for r in run.results})
    assert dom.count("<svg") > 10

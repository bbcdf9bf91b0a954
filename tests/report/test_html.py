"""report.html stands alone: no script, no stylesheet or image fetched from anywhere."""

import re
from html.parser import HTMLParser
from pathlib import Path

from harness.audit.model import Run


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_report_html_is_self_contained(toy_audit: Path) -> None:
    html = (toy_audit / "report.html").read_text()
    parser = _Collect()
    parser.feed(html)
    names = [t for t, _ in parser.tags]
    assert "script" not in names and "link" not in names and "img" not in names
    urls = re.findall(r"(?:https?:)?//[\w.-]+", html)
    assert set(urls) <= {"http://www.w3.org"}  # the SVG namespace, never fetched


def test_every_scenario_run_has_its_section_and_anchor(toy_audit: Path, toy_run: Run) -> None:
    html = (toy_audit / "report.html").read_text()
    for r in toy_run.results:
        assert f'id="{r.ref}"' in html
    assert html.count('<tr class="claim-row">') == len(toy_run.claims)

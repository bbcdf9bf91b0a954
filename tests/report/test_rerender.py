"""results.json holds everything: rendering it again gives the very same report."""

from pathlib import Path

from tests.report.toyproject import run_cli

FILES = ("VERIFICATION.md", "report.html", "results.json", "junit.xml")


def test_rerendering_results_json_gives_the_same_report(toy_audit: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    code, _, stderr = run_cli(
        toy_audit, "report", "--from", str(toy_audit / "results.json"), "--out", str(out)
    )
    assert code == 0, stderr
    for name in FILES:
        assert (out / name).read_bytes() == (toy_audit / name).read_bytes(), name


def test_rerendering_in_place_replaces_the_folder_atomically(
    toy_audit: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first"
    run_cli(toy_audit, "report", "--from", str(toy_audit / "results.json"), "--out", str(first))
    code, _, _ = run_cli(toy_audit, "report", "--from", str(first / "results.json"))
    assert code == 0
    assert sorted(p.name for p in first.iterdir()) == sorted(FILES)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_older_results_json_without_newer_header_fields_still_renders(
    toy_audit: Path, tmp_path: Path
) -> None:
    import json

    data = json.loads((toy_audit / "results.json").read_text())
    for key in ("pytest_summary", "pytest_exit", "selection", "argv"):
        del data["meta"][key]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    code, _, stderr = run_cli(toy_audit, "report", "--from", str(old), "--out", str(tmp_path / "r"))
    assert code == 0, stderr
    assert "pytest's own summary" not in (tmp_path / "r" / "VERIFICATION.md").read_text()

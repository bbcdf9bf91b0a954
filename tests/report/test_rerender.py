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

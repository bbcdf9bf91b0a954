from pathlib import Path

import pytest

from harness.audit.settings import load_settings
from harness.errors import ConfigError


def test_defaults_when_pyproject_has_no_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    s = load_settings(tmp_path)
    assert s.catalog == tmp_path / "scenarios/catalog"
    assert s.claims == tmp_path / "scenarios/claims"
    assert s.scenarios == tmp_path / "scenarios"
    assert s.reports == tmp_path / "reports"


def test_paths_come_from_tool_harness(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.harness]\ncatalog = "c"\nclaims = "l"\n')
    (tmp_path / "sub").mkdir()
    s = load_settings(tmp_path / "sub")  # found from a subfolder too
    assert (s.catalog, s.claims, s.root) == (tmp_path / "c", tmp_path / "l", tmp_path)


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.harness]\ncatalogue = "c"\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['catalogue'\]"):
        load_settings(tmp_path)

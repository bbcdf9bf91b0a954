from pathlib import Path

import pytest

from harness.audit.settings import load_settings
from harness.catalog import load_catalog
from harness.errors import ConfigError, UnknownName

ALL_FIXES = (
    [f"AGT-{n}" for n in range(1, 10)]
    + [f"TRC-{n}" for n in range(1, 5)]
    + [f"CNS-{n}" for n in range(1, 9)]
    + [f"QUE-{n}" for n in range(1, 7)]
)


def test_the_catalog_names_every_fix_of_the_four_systems() -> None:
    catalog = load_catalog(load_settings(Path(__file__)).catalog)
    assert sorted(f.id for f in catalog.fixes) == sorted(ALL_FIXES)
    assert {s.id for s in catalog.systems} == {"AGT", "TRC", "CNS", "QUE"}
    for fix in catalog.fixes:
        assert fix.title and fix.invariant
        assert fix.seed == catalog.system(fix.system).seed  # type: ignore[union-attr]


def test_unknown_fix_id_is_one_clear_error() -> None:
    catalog = load_catalog(load_settings(Path(__file__)).catalog)
    with pytest.raises(UnknownName, match="unknown fix id 'AGT-99'; known: AGT-1"):
        catalog.fix("AGT-99")
    assert catalog.fix("agt-2").id == "AGT-2"


def test_a_system_id_selects_all_its_fixes() -> None:
    catalog = load_catalog(load_settings(Path(__file__)).catalog)
    assert catalog.check_fix_ids(["trc", "AGT-2"]) == ["TRC-1", "TRC-2", "TRC-3", "TRC-4", "AGT-2"]
    with pytest.raises(UnknownName, match="unknown fix id 'TRX'"):
        catalog.check_fix_ids(["TRX"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[fix]]\nid = "X-1"\nsystem = "X"\ntitle = "t"\ninvariant = "i"\nseed = "s"\ncolour = 1\n',
            "unknown key",
        ),
        ('[[fix]]\nid = "X-1"\nsystem = "X"\ntitle = "t"\nseed = "s"\n', "missing key 'invariant'"),
        (
            '[[fix]]\nid = "X-1"\nsystem = "X"\ntitle = 3\ninvariant = "i"\nseed = "s"\n',
            "'title' must be a str",
        ),
        ('[[fix]\nid = "X-1"\n', "not valid TOML"),
    ],
)
def test_bad_catalog_files_are_refused_in_one_line(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "fixes.toml").write_text(body)
    with pytest.raises(ConfigError, match=message) as err:
        load_catalog(tmp_path)
    assert "\n" not in str(err.value)


def test_duplicate_fix_ids_are_refused(tmp_path: Path) -> None:
    entry = '[[fix]]\nid = "X-1"\nsystem = "X"\ntitle = "t"\ninvariant = "i"\nseed = "s"\n'
    (tmp_path / "a.toml").write_text(entry)
    (tmp_path / "b.toml").write_text(entry)
    with pytest.raises(ConfigError, match="duplicate fix id 'X-1'"):
        load_catalog(tmp_path)

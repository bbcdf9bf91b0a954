"""The mutant generator and the instrumented module, on source text: no pytest run, no server."""

from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.mutate.generate import Guards, find_targets, mutate_sites
from harness.mutate.runtime import ENV_MUTANT
from harness.mutate.schemata import instrument

SOURCE = textwrap.dedent(
    '''
    """A module under mutation."""

    from __future__ import annotations

    LIMIT = 5
    QUERY = "SELECT id FROM t WHERE n > %s AND m IS NULL"


    def crashpoint(name):
        pass


    def allowed(count, prefix=False):
        """Below the limit."""
        if prefix:
            return count < 99
        crashpoint("after_check")
        if count < 0:
            raise ValueError("count must be >= 0")
        return count < LIMIT


    class Box:
        def total(self, a, b):
            n = a + b
            n = min(n, LIMIT)
            return n
    '''
)


def _sites(names, source=SOURCE, guards=("prefix",)):
    tree = ast.parse(source)
    return mutate_sites("m.py", find_targets(tree, names, "test"), Guards(frozenset(guards)))


def _ids(sites):
    return [m.id for s in sites for m, _ in s.mutants]


def test_ids_name_file_target_line_operator_index():
    ids = _ids(_sites(["allowed", "Box.total", "LIMIT", "QUERY"]))
    assert "m.py::allowed:21:comparison:0" in ids
    assert "m.py::Box.total:26:arithmetic:0" in ids
    assert "m.py::Box.total:27:call:0" in ids
    assert "m.py::LIMIT:6:number:0" in ids
    assert len(ids) == len(set(ids))


def test_ids_do_not_move_when_other_code_changes():
    before = _ids(_sites(["allowed"]))
    edited = SOURCE.replace("n = a + b", "n = a + b + 0 * 3")
    assert _ids(_sites(["allowed"], edited)) == before


def test_the_pre_fix_side_of_a_guard_and_its_test_are_not_mutated():
    lines = {m.line for s in _sites(["allowed"]) for m, _ in s.mutants}
    assert 15 not in lines and 16 not in lines  # `if prefix:` and `return count < 99`


def test_crash_points_docstrings_and_messages_are_left_alone():
    changes = [m.change for s in _sites(["allowed"]) for m, _ in s.mutants]
    assert not any("crashpoint" in c or "Below the limit" in c or "must be" in c for c in changes)


def test_code_strings_are_mutated_clause_by_clause():
    changes = [m.after for s in _sites(["QUERY"]) for m, _ in s.mutants]
    assert any("n >= %s" in c for c in changes)
    assert any(" OR m" in c for c in changes)
    assert any("IS NOT NULL" in c for c in changes)


def test_an_unknown_target_is_one_clear_error():
    with pytest.raises(ConfigError, match="no function or module constant 'nope'"):
        _sites(["nope"])


def _load(tmp_path: Path, sites, name="mutmod", source=SOURCE):
    path = tmp_path / f"{name}.py"
    path.write_text(instrument(source, sites, name))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_instrumented_module_runs_the_mutant_the_environment_names(tmp_path, monkeypatch):
    sites = _sites(["allowed", "Box.total", "LIMIT"])
    mod = _load(tmp_path, sites)
    try:
        monkeypatch.delenv(ENV_MUTANT, raising=False)
        assert mod.allowed(4) is True and mod.allowed(5) is False
        assert mod.Box().total(3, 4) == 5
        monkeypatch.setenv(ENV_MUTANT, "m.py::allowed:21:comparison:0")  # < -> <=
        assert mod.allowed(5) is True
        monkeypatch.setenv(ENV_MUTANT, "m.py::LIMIT:6:number:0")  # 5 -> 6, read per call
        assert mod.allowed(5) is True and mod.Box().total(3, 4) == 6
        assert mod.LIMIT == 6  # other modules reading mod.LIMIT see it too
        monkeypatch.setenv(ENV_MUTANT, "m.py::Box.total:27:call:0")  # min -> max
        assert mod.Box().total(3, 4) == 7
        monkeypatch.setenv(ENV_MUTANT, "")
        assert mod.allowed(5) is False and mod.LIMIT == 5
    finally:
        sys.modules.pop("mutmod", None)


def test_a_constant_mutant_that_cannot_be_computed_fails_only_where_it_is_read(
    tmp_path, monkeypatch
):
    # HELLO + WORLD -> HELLO - WORLD (two names bound to strings) raises TypeError: computed
    # at import, it would break every mutant of the module
    source = 'HELLO = "hello, "\nWORLD = "world"\nGREETING = HELLO + WORLD\n\n\ndef greet():\n    return GREETING\n'
    sites = _sites(["GREETING", "greet"], source=source)
    bad = next(m.id for s in sites for m, _ in s.mutants if m.operator == "arithmetic")
    monkeypatch.setenv(ENV_MUTANT, bad)
    mod = _load(tmp_path, sites, "mutconst", source)
    try:
        with pytest.raises(TypeError):
            mod.greet()
        monkeypatch.setenv(ENV_MUTANT, "")
        assert mod.greet() == "hello, world" and mod.GREETING == "hello, world"
    finally:
        sys.modules.pop("mutconst", None)

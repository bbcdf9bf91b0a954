"""One registry shape for every pluggable kind (checkers, toxics, backends, blocking detectors)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.backends.registry import _BACKENDS
from harness.checkers.registry import CHECKERS
from harness.errors import ConfigError, UnknownName
from harness.proxy.toxics.base import _REGISTRY as TOXICS
from harness.races.blocking import _KINDS as DETECTORS
from harness.registry import Registry


def test_a_taken_name_is_an_error_and_an_unknown_one_lists_the_known():
    reg: Registry[object] = Registry("widget", group="fault_harness.tests_nothing")
    first = object()
    reg.add("a", first)
    reg.add("a", first)  # the same item again (a module imported twice) is fine
    with pytest.raises(ConfigError, match="widget 'a' is registered twice"):
        reg.add("a", object())
    with pytest.raises(UnknownName, match="unknown widget 'b'; known: a"):
        reg.get("b")


@pytest.mark.parametrize("registry", [CHECKERS, TOXICS, _BACKENDS, DETECTORS])
def test_every_pluggable_kind_has_the_one_shape(registry):
    assert isinstance(registry, Registry)
    assert registry.group.startswith("fault_harness.")
    assert registry.names() == sorted(registry.names())


def test_third_party_checkers_load_through_their_entry_point():
    """A fresh interpreter that imports no scenario finds the scenarios' checkers by name."""
    code = (
        "import sys; from harness.checkers import get_checker; "
        "print(get_checker('agt.single_winner').name, 'scenarios.agt.checks' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["agt.single_winner", "True"]


def test_a_plugin_that_cannot_load_breaks_no_other_and_is_named_when_needed():
    """An installed harness without this checkout's scenarios: the project's entry points
    name modules that are not there. Built-in kinds still resolve; an unknown name says
    which plugins failed and why."""
    code = (
        "import sys, importlib.metadata as md\n"
        "from harness.checkers.registry import CHECKERS\n"
        "ep = md.EntryPoint('gone', 'no_such_package_xyz.checks', CHECKERS.group)\n"
        "md.entry_points = lambda group=None: [ep] if group == CHECKERS.group else []\n"
        "import harness.registry as r; r.entry_points = md.entry_points\n"
        "print(CHECKERS.get('at_most_once').name)\n"
        "try:\n"
        "    CHECKERS.get('gone.check')\n"
        "except Exception as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second = out.stdout.splitlines()
    assert first == "at_most_once"
    assert "unknown checker 'gone.check'" in second
    assert "'gone' (no_such_package_xyz.checks) ModuleNotFoundError" in second

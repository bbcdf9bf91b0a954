"""Mutants of named functions and constants of one module, with ids that stay put.

A mutant id is ``FILE::NAME:LINE:OPERATOR:INDEX`` (INDEX counts mutants of the
same operator on the same line of the same function), so an equivalence mark
written against it survives edits elsewhere in the file.

Variant guards: reference code often keeps its pre-fix behaviour beside the
fix (``if prefix: ...``). Only the fixed side of such a branch is mutated (a
mutant on the pre-fix side could never be caught by running the fixed
variant), and the guard's own test is left alone.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

from harness.errors import ConfigError
from harness.mutate.operators import OPERATORS, StatementRules, delete_statement

Path = tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str  # relative to the project root, as the map names it
    target: str  # function qualname or constant name
    line: int
    operator: str
    index: int
    before: str
    after: str

    @property
    def change(self) -> str:
        return f"{self.before} -> {self.after}"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "file": self.file,
            "target": self.target,
            "line": self.line,
            "operator": self.operator,
            "index": self.index,
            "before": self.before,
            "after": self.after,
        }


@dataclass
class Site:
    """A mutated target: its node in the module, and each mutant's replacement of it."""

    name: str
    kind: str  # "function" or "constant"
    node: ast.AST
    mutants: list[tuple[Mutant, ast.AST]] = field(default_factory=list)


@dataclass(frozen=True)
class Guards:
    """Names whose truth selects the pre-fix side: ``prefix``, ``variants.prefix(...)``."""

    names: frozenset[str] = frozenset()

    def prefix_test(self, test: ast.AST) -> bool | None:
        """True: the test is true on the pre-fix side; False: on the fixed side; None: no guard."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self.prefix_test(test.operand)
            return None if inner is None else not inner
        if isinstance(test, ast.Name) and test.id in self.names:
            return True
        if isinstance(test, ast.Call):
            func = test.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in self.names:
                return True
        return None


def find_targets(tree: ast.Module, names: list[str], where: str) -> list[Site]:
    """The function (``Class.method`` qualnames too) or module constant of each name."""
    found: dict[str, Site] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = Site(node.name, "function", node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    qual = f"{node.name}.{item.name}"
                    found[qual] = Site(qual, "function", item)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and node.value is not None:
                    found[t.id] = Site(t.id, "constant", node)
    out = []
    for name in names:
        if name not in found:
            raise ConfigError(
                f"{where}: no function or module constant {name!r}; "
                f"known: {', '.join(sorted(found)) or 'none'}"
            )
        out.append(found[name])
    return out


def _children(node: ast.AST) -> Iterator[tuple[str, int | None, ast.AST]]:
    for fname, value in ast.iter_fields(node):
        if isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, ast.AST):
                    yield fname, i, v
        elif isinstance(value, ast.AST):
            yield fname, None, value


def _is_docstring(parent: ast.AST, fname: str, index: int | None, node: ast.AST) -> bool:
    return (
        isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module)
        and fname == "body"
        and index == 0
        and isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _quiet(node: ast.AST) -> bool:
    """Statements whose strings are messages, not behaviour: raise, logging, assert."""
    if isinstance(node, ast.Raise | ast.Assert):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        return isinstance(func, ast.Attribute) and func.attr in {
            "debug",
            "info",
            "warning",
            "error",
            "exception",
        }
    return False


class _Walker:
    def __init__(self, guards: Guards, rules: StatementRules) -> None:
        self.guards, self.rules = guards, rules
        self.sites: list[tuple[Path, ast.AST, ast.AST, str]] = []  # path, node, new, operator
        self.bound: set[str] = set()

    def walk(self, node: ast.AST, path: Path, quiet: bool = False) -> None:
        if isinstance(node, ast.If | ast.IfExp):
            side = self.guards.prefix_test(node.test)
            if side is not None:
                # Mutate only the fixed side; the guard's test is the variant switch.
                fixed_field = "orelse" if side else "body"
                self._field(node, fixed_field, path, quiet)
                return
        if isinstance(node, ast.stmt):
            quiet = quiet or _quiet(node)
            for new, op in delete_statement(node, self.rules, frozenset(self.bound)):
                self.sites.append((path, node, new, op))
        if isinstance(node, ast.Constant) and quiet:
            return
        if isinstance(node, ast.JoinedStr):
            return  # f-strings build messages and names, not decisions
        for op_fn in OPERATORS.values():
            for new, op in op_fn(node):
                self.sites.append((path, node, new, op))
        for fname, index, child in _children(node):
            if _is_docstring(node, fname, index, child):
                continue
            if isinstance(node, ast.Call) and _call_is_crashpoint(node, self.rules):
                continue
            self.walk(child, (*path, (fname, index)), quiet)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        self.bound.add(n.id)

    def _field(self, node: ast.AST, fname: str, path: Path, quiet: bool) -> None:
        value = getattr(node, fname)
        if isinstance(value, list):
            for i, v in enumerate(value):
                self.walk(v, (*path, (fname, i)), quiet)
        elif isinstance(value, ast.AST):
            self.walk(value, (*path, (fname, None)), quiet)


def _call_is_crashpoint(node: ast.Call, rules: StatementRules) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in rules.keep_calls


def replace_at(root: ast.AST, path: Path, new: ast.AST) -> ast.AST:
    """A deep copy of ``root`` with the node at ``path`` replaced by ``new``."""
    out = copy.deepcopy(root)
    parent: ast.AST = out
    for fname, index in path[:-1]:
        value = getattr(parent, fname)
        parent = value[index] if index is not None else value
    fname, index = path[-1]
    if index is None:
        setattr(parent, fname, copy.deepcopy(new))
    else:
        getattr(parent, fname)[index] = copy.deepcopy(new)
    return out


def _text(node: ast.AST) -> str:
    text = ast.unparse(node) if not isinstance(node, ast.Pass) else "(deleted)"
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."


def _describe(node: ast.AST, new: ast.AST) -> tuple[str, str]:
    """Before and after, short: for a change inside a long string, the words around it."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(new, ast.Constant)
        and isinstance(node.value, str)
        and isinstance(new.value, str)
        and len(node.value) > 60
    ):
        old, cur = node.value, new.value
        start = next((i for i, (a, b) in enumerate(zip(old, cur, strict=False)) if a != b), 0)
        tail = 0
        while tail < min(len(old), len(cur)) - start and old[-1 - tail] == cur[-1 - tail]:
            tail += 1
        lo = max(0, start - 25)
        window = (old[lo : len(old) - tail + 20], cur[lo : len(cur) - tail + 20])
        return tuple(" ".join(("..." + w + "...").split()) for w in window)  # type: ignore[return-value]
    return _text(node), _text(new)


def mutate_sites(
    file: str, sites: list[Site], guards: Guards, rules: StatementRules | None = None
) -> list[Site]:
    """Fill each site's mutants; ids count per (target, line, operator)."""
    rules = rules or StatementRules()
    for site in sites:
        walker = _Walker(guards, rules)
        if site.kind == "function":
            fn = site.node
            assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            walker.bound.update(a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg))
            for i, stmt in enumerate(fn.body):
                if _is_docstring(fn, "body", i, stmt):
                    continue
                walker.walk(stmt, (("body", i),))
        else:
            walker.walk(site.node.value, (("value", None),))  # type: ignore[attr-defined]
        counts: dict[tuple[int, str], int] = {}
        for path, node, new, op in walker.sites:
            line = getattr(node, "lineno", getattr(site.node, "lineno", 0))
            index = counts.get((line, op), 0)
            counts[(line, op)] = index + 1
            before, after = _describe(node, new)
            mutant = Mutant(
                id=f"{file}::{site.name}:{line}:{op}:{index}",
                file=file,
                target=site.name,
                line=line,
                operator=op,
                index=index,
                before=before,
                after=after,
            )
            site.mutants.append((mutant, replace_at(site.node, path, new)))
    return sites

"""One instrumented copy of a module holding every mutant of it ("mutant schemata").

A mutated function keeps its signature, decorators and class; its body becomes::

    _harness_m_ = _harness_active_()
    if _harness_m_ == 'ID1':
        <the body with mutant ID1>
    elif ...
    else:
        <the original body>

A mutated module constant keeps its original value in the module; every
mutant's value sits in a table as an unevaluated expression (a lambda), computed
on the first access under that mutant (by the module's own functions, whose
loads of the name are rewritten, and by other modules through the module's
class). Nothing is decided or computed at import time: a process that imported
the module once (the fork server, a warm server) runs whichever mutant its
environment names at each call, and a mutant whose value cannot be computed
(``"a" + "b"`` -> ``"a" - "b"``) fails where it is used, as the mutated module
would, instead of breaking the import for every other mutant.
"""

from __future__ import annotations

import ast
import copy

from harness.mutate.generate import Site

_ACTIVE = "_harness_active_"
_CONSTANT = "_harness_constant_"
_TABLE = "_harness_constants_"
_LOCAL = "_harness_m_"


def _dispatch(fn: ast.FunctionDef | ast.AsyncFunctionDef, site: Site) -> None:
    body = list(fn.body)
    doc: list[ast.stmt] = []
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        doc, body = body[:1], body[1:]
    chain: list[ast.stmt] = body
    for mutant, mutated in reversed(site.mutants):
        assert isinstance(mutated, ast.FunctionDef | ast.AsyncFunctionDef)
        mbody = list(mutated.body)[len(doc) :]
        test = ast.Compare(ast.Name(_LOCAL, ast.Load()), [ast.Eq()], [ast.Constant(mutant.id)])
        chain = [ast.If(test, mbody or [ast.Pass()], chain)]
    pick = ast.Assign(
        [ast.Name(_LOCAL, ast.Store())], ast.Call(ast.Name(_ACTIVE, ast.Load()), [], [])
    )
    fn.body = [*doc, pick, *chain]


class _ConstantLoads(ast.NodeTransformer):
    """Inside functions, ``NAME`` becomes ``_harness_constant_(table, 'NAME', NAME)``."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.depth = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if self.depth and isinstance(node.ctx, ast.Load) and node.id in self.names:
            return ast.Call(
                ast.Name(_CONSTANT, ast.Load()),
                [
                    ast.Name(_TABLE, ast.Load()),
                    ast.Constant(node.id),
                    ast.Name(node.id, ast.Load()),
                ],
                [],
            )
        return node


def _thunk(value: ast.expr) -> ast.Lambda:
    no_args = ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )
    return ast.Lambda(no_args, copy.deepcopy(value))


def instrument(source: str, sites: list[Site], module_name: str) -> str:
    """The module's source with every site's mutants compiled in."""
    tree = ast.parse(source)
    # Sites were found on another parse of the same source: match them by position.
    by_pos = {(s.node.lineno, s.node.col_offset): s for s in sites}  # type: ignore[attr-defined]
    constants: list[tuple[ast.stmt, Site]] = []
    for node in ast.walk(tree):
        key = (getattr(node, "lineno", None), getattr(node, "col_offset", None))
        site = by_pos.get(key)
        if site is None or not site.mutants:
            continue
        if site.kind == "function" and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            _dispatch(node, site)
        elif site.kind == "constant" and isinstance(node, ast.Assign | ast.AnnAssign):
            constants.append((node, site))
    if constants:
        names = {site.name for _, site in constants}
        tree = _ConstantLoads(names).visit(tree)
        for node, site in constants:
            index = tree.body.index(node)
            entries = ast.Dict(
                [ast.Constant(m.id) for m, _ in site.mutants],
                [_thunk(mutated.value) for _, mutated in site.mutants],  # type: ignore[attr-defined]
            )
            table_set = ast.parse(f"{_TABLE}[{site.name!r}] = None").body[0]
            assert isinstance(table_set, ast.Assign)
            table_set.value = entries
            tree.body.insert(index + 1, table_set)
    header = ast.parse(
        f"from harness.mutate.runtime import active as {_ACTIVE}, constant as {_CONSTANT}\n"
        f"{_TABLE} = {{}}\n"
    ).body
    at = 0
    while at < len(tree.body) and (
        (isinstance(tree.body[at], ast.ImportFrom) and tree.body[at].module == "__future__")  # type: ignore[attr-defined]
        or (
            at == 0
            and isinstance(tree.body[0], ast.Expr)
            and isinstance(tree.body[0].value, ast.Constant)
        )
    ):
        at += 1
    tree.body[at:at] = header
    if constants:
        tree.body.extend(
            ast.parse(
                f"import harness.mutate.runtime as _harness_rt_\n"
                f"_harness_rt_.dynamic_constants({module_name!r})\n"
            ).body
        )
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"

"""Mutation operators: each turns one AST node into the plausible bugs it could hide.

One registry shape, like every pluggable kind in the harness: a name and a
function from a node to its replacements. An operator sees one node at a time
and never the code around it; which nodes it may see (the fixed side of a
variant branch only, no docstrings, no error messages) is decided by the
generator.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

Replacement = tuple[ast.AST, str]  # the new node, and a short name of the change
Operator = Callable[[ast.AST], list[Replacement]]

_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_ARITH: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.Mult,
    ast.Pow: ast.Mult,
}
_SWAP_CALLS = {"min": "max", "max": "min", "any": "all", "all": "any"}

# Replacements inside strings that hold code (SQL, Lua): the comparisons and
# clauses whose change is a real bug, one occurrence at a time.
_CODE_TOKENS: tuple[tuple[str, str], ...] = (
    (">=", ">"),
    ("<=", "<"),
    (" > ", " >= "),
    (" < ", " <= "),
    ("==", "~="),
    ("~=", "=="),
    (" AND ", " OR "),
    (" and ", " or "),
    (" or ", " and "),
    (" IS NULL", " IS NOT NULL"),
    (" IS NOT NULL", " IS NULL"),
    (" SKIP LOCKED", ""),
    (" FOR UPDATE", " FOR SHARE"),
    (" + 1", " + 2"),
    (" - 1", " + 1"),
    ("'1'", "'0'"),
    # schema changes: a migration that is not idempotent, a key that is not unique
    (" IF NOT EXISTS", ""),
    (" IF EXISTS", ""),
    (" UNIQUE", ""),
)
_CODE_MARKS = (
    "SELECT ", "UPDATE ", "INSERT ", "DELETE ", "CREATE ", "ALTER ", "DROP ",
    "redis.call", " = ", "local ",
)  # fmt: skip


def compare(node: ast.AST) -> list[Replacement]:
    if not isinstance(node, ast.Compare):
        return []
    out: list[Replacement] = []
    for i, op in enumerate(node.ops):
        swap = _COMPARE.get(type(op))
        if swap is None:
            continue
        new = ast.Compare(node.left, list(node.ops), node.comparators)
        new.ops[i] = swap()
        out.append((new, "comparison"))
    return out


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
    )


def arithmetic(node: ast.AST) -> list[Replacement]:
    if isinstance(node, ast.BinOp):
        if _is_text(node.left) or _is_text(node.right):
            return []  # string building: a type error, not a plausible bug
        swap = _ARITH.get(type(node.op))
        return [(ast.BinOp(node.left, swap(), node.right), "arithmetic")] if swap else []
    if isinstance(node, ast.AugAssign):
        swap = _ARITH.get(type(node.op))
        return [(ast.AugAssign(node.target, swap(), node.value), "arithmetic")] if swap else []
    return []


def boolean(node: ast.AST) -> list[Replacement]:
    if isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return [(ast.BoolOp(other, node.values), "boolean")]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return [(node.operand, "drop-not")]
    return []


def constant(node: ast.AST) -> list[Replacement]:
    if not isinstance(node, ast.Constant):
        return []
    value = node.value
    if isinstance(value, bool):
        return [(ast.Constant(not value), "boolean-constant")]
    if isinstance(value, int | float):
        return [(ast.Constant(value + 1), "number")]
    if isinstance(value, str) and any(m in value for m in _CODE_MARKS):
        out: list[Replacement] = []
        for old, new in _CODE_TOKENS:
            start = value.find(old)
            while start >= 0:
                changed = value[:start] + new + value[start + len(old) :]
                out.append((ast.Constant(changed), "code-string"))
                start = value.find(old, start + 1)
        return out
    return []


def swap_call(node: ast.AST) -> list[Replacement]:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _SWAP_CALLS
    ):
        func = ast.Name(_SWAP_CALLS[node.func.id], ast.Load())
        return [(ast.Call(func, node.args, node.keywords), "call")]
    return []


@dataclass(frozen=True)
class StatementRules:
    """Which statements may be deleted: calls not in ``keep_calls``, re-assignments."""

    keep_calls: frozenset[str] = frozenset({"crashpoint"})


def delete_statement(
    node: ast.AST, rules: StatementRules, bound: frozenset[str] = frozenset()
) -> list[Replacement]:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        if _call_name(node.value) in rules.keep_calls:
            return []  # a crash-point marker: deleting it changes only what is explored
        return [(ast.Pass(), "delete-statement")]
    if isinstance(node, ast.AugAssign):
        return [(ast.Pass(), "delete-statement")]
    if isinstance(node, ast.Assign) and all(
        isinstance(t, ast.Attribute) or (isinstance(t, ast.Name) and t.id in bound)
        for t in node.targets
    ):
        # Only a re-assignment: deleting a first binding is a NameError, not a bug.
        return [(ast.Pass(), "delete-statement")]
    return []


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


#: Expression operators by name (statement deletion is applied by the generator,
#: which knows the names bound so far).
OPERATORS: dict[str, Operator] = {
    "comparison": compare,
    "arithmetic": arithmetic,
    "boolean": boolean,
    "constant": constant,
    "call": swap_call,
}

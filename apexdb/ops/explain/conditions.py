"""Which columns a plan's filter or join condition compares, read with PostgreSQL's parser.

EXPLAIN prints conditions as SQL expressions (``((category = 'x'::text) AND (id > 5))``);
parsing them as ``SELECT 1 WHERE <expr>`` tells columns compared for equality (the
best leading columns of a B-tree index) from range comparisons, without regexes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.sql import qualified, quote_ident  # the one quote_ident; find_* modules import it from here

EQUALITY_OPS = {"="}
RANGE_OPS = {"<", ">", "<=", ">="}


@dataclass
class Comparisons:
    equality: list[tuple[str | None, str]] = field(default_factory=list)  # (alias, column)
    range: list[tuple[str | None, str]] = field(default_factory=list)
    joins: list[tuple[tuple[str | None, str], tuple[str | None, str]]] = field(default_factory=list)
    other_columns: list[tuple[str | None, str]] = field(default_factory=list)  # under functions, LIKE...

    def columns(self, alias: str | None = None, *, include_other: bool = False) -> list[str]:
        """Index key order: equality columns, then one range column (of ``alias`` when given)."""
        def mine(refs):
            return [c for a, c in refs if alias is None or a in (None, alias)]

        out: list[str] = []
        for col in mine(self.equality):
            if col not in out:
                out.append(col)
        for col in mine(self.range)[:1]:
            if col not in out:
                out.append(col)
        if include_other:
            out += [c for c in mine(self.other_columns) if c not in out]
        return out

    def join_columns(self, alias: str | None) -> list[str]:
        """Columns of ``alias`` that a condition equates with another relation's column."""
        out = []
        for left, right in self.joins:
            for (a, col), (b, _other) in ((left, right), (right, left)):
                own = a == alias or (a is None and b not in (None, alias))  # unqualified: the scan's own
                if own and b != alias and col not in out:
                    out.append(col)
        return out


def analyze_condition(expression: str | None) -> Comparisons:
    """The comparisons in one EXPLAIN condition; empty when it does not parse."""
    result = Comparisons()
    if not expression:
        return result
    import pglast
    from pglast.parser import ParseError

    try:
        where = pglast.parse_sql(f"SELECT 1 WHERE {expression}")[0].stmt.whereClause
    except (ParseError, IndexError, AttributeError):
        return result
    _visit(where, result)
    return result


def _ref(node) -> tuple[str | None, str] | None:
    """(alias, column) for a column reference, seeing through casts."""
    from pglast.ast import ColumnRef, String, TypeCast

    while isinstance(node, TypeCast):
        node = node.arg
    if not isinstance(node, ColumnRef):
        return None
    names = [f.sval for f in node.fields if isinstance(f, String)]
    if not names:
        return None
    return (names[-2] if len(names) > 1 else None, names[-1])


column_ref = _ref  # for other engines that read parse trees (the workload's $n typing)


def _visit(node, result: Comparisons) -> None:
    from pglast.ast import A_Expr, BoolExpr, NullTest
    from pglast.enums import A_Expr_Kind

    from apexdb.ops.explain.statement import walk

    if isinstance(node, BoolExpr):
        if node.boolop.name == "AND_EXPR":
            for arg in node.args:
                _visit(arg, result)
            return
    elif isinstance(node, A_Expr) and node.name:
        op = node.name[-1].sval
        left, right = _ref(node.lexpr), _ref(node.rexpr)
        if left and right and op in EQUALITY_OPS and node.kind == A_Expr_Kind.AEXPR_OP:
            result.joins.append((left, right))
            return
        column = left or right
        if column and (left is None or right is None):
            if op in EQUALITY_OPS and node.kind in (A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_OP_ANY,
                                                    A_Expr_Kind.AEXPR_IN):
                result.equality.append(column)
                return
            if op in RANGE_OPS and node.kind == A_Expr_Kind.AEXPR_OP:
                result.range.append(column)
                return
    elif isinstance(node, NullTest):
        ref = _ref(node.arg)
        if ref:
            result.equality.append(ref)
            return
    # ORs, functions, LIKE, ...: the columns are there but a plain B-tree may not serve them
    from pglast.ast import ColumnRef

    for inner in walk(node):
        if isinstance(inner, ColumnRef):
            ref = _ref(inner)
            if ref and ref not in result.other_columns:
                result.other_columns.append(ref)


def expression_columns(expression: str | None) -> set[str]:
    """The column names an expression (an index's, as pg_get_indexdef prints it) refers to."""
    if not expression:
        return set()
    import pglast
    from pglast.ast import ColumnRef
    from pglast.parser import ParseError

    from apexdb.ops.explain.statement import walk

    try:
        tree = pglast.parse_sql(f"SELECT {expression}")
    except ParseError:
        return set()
    return {ref[1] for node in walk(tree) if isinstance(node, ColumnRef) for ref in [_ref(node)] if ref}



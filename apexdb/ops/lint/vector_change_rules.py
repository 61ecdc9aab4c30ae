"""pgvector rules about changing what is already there: a vector column's type changed in place
(and the ANN indexes that must be rebuilt with it), a TRUNCATE or a full-table UPDATE of a table
whose vectors an HNSW/IVFFlat index covers.

Each rule reads the schema as the history so far left it (SchemaModel): the column's type, the
indexes on it, and whether the table is empty at this point of the migration -- a table created
or truncated earlier in the same migration has no rows to rewrite and no build to wait for.
"""
from __future__ import annotations

from apexdb.ops.lint.findings import Finding
from apexdb.ops.lint.schema_model import AnnIndex, ColumnType, SchemaModel, type_of
from apexdb.ops.lint.statements import ParsedSql, Statement
from apexdb.ops.catalog import INDEX_DIM_LIMIT, OPCLASS_METRICS, metric_of_opclass

EXPAND_CONTRACT = ("expand/contract: add a new column of the new type, backfill it in batches, build its "
                   "index CONCURRENTLY, switch readers, then drop the old column")


def check(parsed: ParsedSql, stmt: Statement, model: SchemaModel) -> list[Finding]:
    from pglast import ast

    node = stmt.node
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        return _alter_rules(parsed, stmt, node, model)
    if isinstance(node, ast.TruncateStmt):
        return _truncate_rule(parsed, stmt, node, model)
    if isinstance(node, ast.UpdateStmt) and node.relation is not None and node.whereClause is None:
        return _full_update_rule(parsed, stmt, node, model)
    return []


def _finding(*args, **kwargs) -> Finding:
    from apexdb.ops.lint.vector_rules import finding

    return finding(*args, **kwargs)


def _alter_rules(parsed, stmt, node, model: SchemaModel) -> list[Finding]:
    from pglast import ast
    from pglast.enums import AlterTableType as AT

    table = node.relation.relname
    out = []
    for cmd in node.cmds or ():
        if cmd.subtype != AT.AT_AlterColumnType or not isinstance(cmd.def_, ast.ColumnDef):
            continue
        new = type_of(cmd.def_.typeName)
        old = model.column(table, cmd.name)
        if new is None or not (new.is_vector or (old is not None and old.is_vector)) or old == new:
            continue
        indexes = model.ann_indexes(table, cmd.name)
        out += [_rebuild_fails(parsed, stmt, table, cmd.name, new, ix) for ix in indexes]
        out = [f for f in out if f is not None]
        if model.is_empty(table) or out:
            continue  # nothing to rewrite; or the statement fails anyway, which says it better
        was = f"from {old} " if old is not None else ""
        nulls = _using_null(cmd.def_)
        rebuilt = (f", and {_names(indexes)} on the column {'is' if len(indexes) == 1 else 'are'} rebuilt "
                   f"inside the lock" if indexes else ", and any index on the column is rebuilt inside the lock")
        out.append(_finding(parsed, stmt, "vector-dimension-change",
                            f"changes {table}.{cmd.name} {was}to {new} in place: the table is rewritten under "
                            f"an ACCESS EXCLUSIVE lock, "
                            + ("and USING NULL empties the column in every row" if nulls else
                               "rows of another dimension make it fail") + rebuilt,
                            EXPAND_CONTRACT))
    return out


def _using_null(coldef) -> bool:
    """``ALTER COLUMN ... TYPE ... USING NULL``: every value is thrown away."""
    from pglast import ast

    expr = getattr(coldef, "raw_default", None)
    return isinstance(expr, ast.A_Const) and bool(getattr(expr, "isnull", False))


def _rebuild_fails(parsed, stmt, table: str, column: str, new: ColumnType, ix: AnnIndex) -> Finding | None:
    """ALTER COLUMN TYPE rebuilds every index on the column: one the new type cannot have fails it."""
    limit = INDEX_DIM_LIMIT.get(new.type)
    if new.type in ("vector", "halfvec", "bit") and new.dims is not None and limit and new.dims > limit:
        return _finding(parsed, stmt, "vector-index-dimensions",
                        f"changes {table}.{column} to {new}, but its {ix.method} index {ix.name} is rebuilt "
                        f"with it and {ix.method} indexes on {new.type} take at most {limit:,} dimensions: "
                        f"the ALTER fails", f"drop {ix.name} first and index a halfvec expression, or "
                        + EXPAND_CONTRACT)
    if ix.opclass and new.is_vector:
        op_type = ix.opclass.split("_", 1)[0]
        metric = metric_of_opclass(ix.opclass)
        if op_type in ("vector", "halfvec", "sparsevec", "bit") and op_type != new.type:
            fits = metric in OPCLASS_METRICS.get((new.type, ix.method), ())
            better = f"{new.type}_{ix.opclass.split('_', 1)[1]}" if fits else f"another index method"
            return _finding(parsed, stmt, "vector-opclass-mismatch",
                            f"changes {table}.{column} to {new}, but its {ix.method} index {ix.name} uses "
                            f"{ix.opclass}, which does not accept {new.type}: the ALTER fails",
                            f"drop {ix.name} first and rebuild it with {better} (CONCURRENTLY)")
    return None


def _truncate_rule(parsed, stmt, node, model: SchemaModel) -> list[Finding]:
    out = []
    for rel in node.relations or ():
        table = rel.relname
        indexes = model.ann_indexes(table)
        if not indexes or model.is_new(table) or model.is_empty(table):
            continue
        out.append(_finding(parsed, stmt, "vector-table-truncate",
                            f"TRUNCATE {table} deletes every row, with the embeddings {_names(indexes)} "
                            f"index{'es' if len(indexes) > 1 else ''}, under an ACCESS EXCLUSIVE lock; "
                            f"refilling it means computing every embedding again",
                            "if the data must go, say so in an ignore comment with the reason; to re-embed, "
                            "backfill a new column in batches instead of emptying the table"))
    return out


def _full_update_rule(parsed, stmt, node, model: SchemaModel) -> list[Finding]:
    table = node.relation.relname
    if model.is_empty(table):
        return []
    out = []
    for target in node.targetList or ():
        indexes = model.ann_indexes(table, target.name)
        if not indexes:
            continue
        out.append(_finding(parsed, stmt, "vector-full-update",
                            f"UPDATE of every row of {table} sets {target.name}, which {_names(indexes)} "
                            f"covers: each new row version goes into the index one by one (far slower than "
                            f"a build), in one transaction that holds its locks until COMMIT, and the index "
                            f"bloats until VACUUM",
                            f"update in batches by key range, or drop {indexes[0].name}, backfill, and build "
                            f"it again CONCURRENTLY"))
    return out


def _names(indexes: list[AnnIndex]) -> str:
    return ", ".join(f"{ix.method} index {ix.name}" for ix in indexes)

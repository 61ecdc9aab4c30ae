"""apexdb's pgvector rules, over statements parsed by pglast.

Each rule looks at one statement and the schema as it stands just before it (SchemaModel).
The pgvector facts (opclasses per type and method, dimension limits, metrics) come from
``apexdb.ops.catalog`` so the linter and ``apexdb index create`` agree.
"""
from __future__ import annotations

from apexdb.ops.lint.findings import Finding
from apexdb.ops.lint.schema_model import ANN_METHODS, ColumnType, SchemaModel, type_of
from apexdb.ops.lint.statements import ParsedSql, Statement
from apexdb.ops.catalog import BUILD_DEFAULTS, INDEX_DIM_LIMIT, METRICS, OPCLASS_METRICS, metric_of_opclass

HNSW_DEFAULTS = BUILD_DEFAULTS["hnsw"]

# rule -> (severity, one-line description) ; the docs list these
RULES = {
    "vector-index-not-concurrent": ("critical", "HNSW/IVFFlat index built without CONCURRENTLY on an existing table"),
    "vector-opclass-mismatch": ("critical", "operator class that does not fit the column type or index method"),
    "vector-index-dimensions": ("critical", "column dimensions above the index limit for its type"),
    "hnsw-ef-construction": ("critical", "HNSW ef_construction below 2*m"),
    "ivfflat-empty-table": ("warning", "IVFFlat index on a table that is empty at that point of the migration"),
    "vector-dimension-change": ("critical", "a vector column's type or dimension changed in place"),
    "vector-index-parameters": ("critical", "an index option pgvector rejects: unknown, or out of its bounds"),
    "vector-table-truncate": ("warning", "TRUNCATE of a table that carries an HNSW/IVFFlat index"),
    "vector-full-update": ("warning", "UPDATE of every row's indexed vector column"),
    "vector-opclass-metric": ("warning", "an index whose metric is not the one the project's queries order by"),
}
# pgvector 0.8's reloptions per method: name -> (min, max); anything else is "unrecognized parameter"
OPTION_BOUNDS = {
    "hnsw": {"m": (2, 100), "ef_construction": (4, 1000)},
    "ivfflat": {"lists": (1, 32768)},
}


def check(parsed: ParsedSql, stmt: Statement, model: SchemaModel) -> list[Finding]:
    """Findings for one statement; call before ``model.apply(stmt.node)``."""
    from pglast import ast

    from apexdb.ops.lint import vector_change_rules

    node = stmt.node
    if isinstance(node, ast.IndexStmt) and (node.accessMethod or "").lower() in ANN_METHODS:
        return _index_rules(parsed, stmt, node, model)
    return vector_change_rules.check(parsed, stmt, model)


def finding(parsed: ParsedSql, stmt: Statement, rule: str, message: str, fix: str,
            severity: str | None = None) -> Finding:
    where = f" (inside the {stmt.inside})" if stmt.inside else ""
    return Finding(parsed.source, stmt.line, rule, severity or RULES[rule][0], message + where, fix, stmt.index)


_finding = finding


def _index_rules(parsed, stmt, node, model: SchemaModel) -> list[Finding]:
    method = node.accessMethod.lower()
    table = node.relation.relname
    name = f"{method} index {node.idxname}" if node.idxname else f"unnamed {method} index"
    out = []
    if not node.concurrent and not (model.is_new(table) or model.is_empty(table)):
        out += _not_concurrent(parsed, stmt, node, name, table, model)
    for elem in node.indexParams or ():
        column, ctype = _indexed(elem, table, model)
        opclass = elem.opclass[-1].sval.lower() if elem.opclass else None
        if opclass:
            out += _opclass_rule(parsed, stmt, method, column, ctype, opclass)
            out += _metric_rule(parsed, stmt, table, elem, opclass, model)
        elif method == "hnsw" or (ctype is not None and ctype.is_vector and ctype.type != "vector"):
            out += _no_opclass(parsed, stmt, method, column, ctype)
        if ctype is not None and ctype.dims is not None and ctype.type in ("vector", "halfvec", "bit"):
            limit = INDEX_DIM_LIMIT[ctype.type]
            if ctype.dims > limit:
                out.append(_finding(parsed, stmt, "vector-index-dimensions",
                                    f"{column} is {ctype}: {method} indexes on {ctype.type} take at most "
                                    f"{limit:,} dimensions, so the build fails",
                                    _dims_fix(column, ctype, method)))
    out += _parameter_rule(parsed, stmt, method, _options(node))
    if method == "hnsw":
        params = {**HNSW_DEFAULTS, **_options(node)}
        m, ef = params.get("m"), params.get("ef_construction")
        if isinstance(m, int) and isinstance(ef, int) and ef < 2 * m:
            out.append(_finding(parsed, stmt, "hnsw-ef-construction",
                                f"ef_construction={ef} is below 2*m={2 * m}; pgvector refuses to build it",
                                f"set ef_construction to at least {2 * m} (pgvector's defaults are m=16, "
                                f"ef_construction=64)"))
    if method == "ivfflat" and model.is_empty(table):
        how = "created" if model.is_new(table) else "truncated"
        out.append(_finding(parsed, stmt, "ivfflat-empty-table",
                            f"{name} is built on {table}, {how} earlier in this migration with nothing "
                            f"loaded since: its lists are trained on no rows, so recall stays poor until "
                            f"it is rebuilt",
                            "build IVFFlat after the data is loaded (a later migration, then REINDEX "
                            "CONCURRENTLY as it grows), or use HNSW, which needs no training"))
    return out


def _not_concurrent(parsed, stmt, node, name: str, table: str, model: SchemaModel) -> list[Finding]:
    from apexdb.ops.lint.schema_model import index_column

    held = " and, inside this transaction, every lock taken is held until COMMIT" if stmt.in_transaction else ""
    fix = ("CREATE INDEX CONCURRENTLY outside any transaction; in Alembic: "
           "with op.get_context().autocommit_block(): op.create_index(..., postgresql_concurrently=True)")
    columns = [index_column(e) for e in node.indexParams or ()]
    if columns and all((table, c) in model.null_columns for c in columns):
        return [_finding(parsed, stmt, "vector-index-not-concurrent",
                         f"{name} is built without CONCURRENTLY on existing table {table}: "
                         f"{', '.join(columns)} was added in this migration and holds only NULLs, so the "
                         f"build indexes nothing but still reads all of {table} while writes wait{held}",
                         fix, severity="warning")]
    return [_finding(parsed, stmt, "vector-index-not-concurrent",
                     f"{name} is built without CONCURRENTLY on existing table {table}: "
                     f"writes to {table} wait for the whole build, minutes to hours on real data{held}", fix)]


def _parameter_rule(parsed, stmt, method: str, options: dict) -> list[Finding]:
    bounds = OPTION_BOUNDS[method]
    out = []
    for name, value in options.items():
        if name not in bounds:
            out.append(_finding(parsed, stmt, "vector-index-parameters",
                                f"{method} has no option {name!r}; the build fails",
                                f"{method} takes {', '.join(bounds)}"))
            continue
        low, high = bounds[name]
        if not isinstance(value, int) or not low <= value <= high:
            out.append(_finding(parsed, stmt, "vector-index-parameters",
                                f"{method} option {name}={value} is outside {low}..{high}; the build fails",
                                f"choose {name} between {low} and {high}"))
    return out


def _indexed(elem, table: str, model: SchemaModel) -> tuple[str, ColumnType | None]:
    """The indexed column's name and type: a plain column, or a cast expression (col::halfvec(n))."""
    from pglast import ast

    if elem.name:
        return elem.name, model.column(table, elem.name)
    expr = elem.expr
    if isinstance(expr, ast.TypeCast):
        inner = expr.arg
        label = inner.fields[-1].sval if isinstance(inner, ast.ColumnRef) else "expression"
        return f"({label}::{type_of(expr.typeName)})", type_of(expr.typeName)
    if isinstance(expr, ast.ColumnRef):
        col = expr.fields[-1].sval
        return col, model.column(table, col)
    return "expression", None


def _opclass_rule(parsed, stmt, method, column, ctype, opclass) -> list[Finding]:
    op_type = next((t for t in ("halfvec", "sparsevec", "vector", "bit") if opclass.startswith(t + "_")), None)
    metric = metric_of_opclass(opclass)
    if op_type is None or metric is None:
        return []  # not a pgvector opclass
    if op_type == "bit" and ctype is not None and ctype.type in ("varbit", "varying"):
        return [_finding(parsed, stmt, "vector-opclass-mismatch",
                         f"{column} is bit varying: pgvector indexes fixed-length bit(n) only, so the "
                         f"build fails (type not supported for {method} index)",
                         f"declare the column bit(n) (one length for every row), or index the expression "
                         f"(({column}::bit(n))) with {opclass}")]
    allowed = OPCLASS_METRICS.get((op_type, method), ())
    if metric not in allowed:
        choices = ", ".join(_opclass(op_type, m) for m in allowed) or f"none: {method} does not index {op_type}"
        return [_finding(parsed, stmt, "vector-opclass-mismatch",
                         f"{method} has no operator class {opclass}",
                         f"use one of {choices}" + ("; or an HNSW index for l1" if metric == "l1" else ""))]
    if ctype is not None and ctype.is_vector and ctype.type != op_type:
        fits = metric in OPCLASS_METRICS.get((ctype.type, method), ())
        fix = (f"use {_opclass(ctype.type, metric)}" if fits else
               f"{method} has no {metric} opclass for {ctype.type}")
        return [_finding(parsed, stmt, "vector-opclass-mismatch",
                         f"operator class {opclass} does not accept {column}, a {ctype} column",
                         fix + f" (or index the expression ({column}::{op_type}(n)) with {opclass})")]
    return []


def _metric_rule(parsed, stmt, table: str, elem, opclass: str, model: SchemaModel) -> list[Finding]:
    from apexdb.ops.lint.schema_model import index_column

    column = index_column(elem)
    used = model.query_metrics.get((table, column or ""), set())
    metric = metric_of_opclass(opclass)
    if not used or metric is None or metric in used:
        return []
    ops = ", ".join(f"{METRICS[m][0]} ({m})" for m in sorted(used))
    prefix = opclass[: -len(METRICS[metric][1])]
    return [_finding(parsed, stmt, "vector-opclass-metric",
                     f"the queries order {table}.{column} by {ops}, but this index uses {opclass} ({metric}): "
                     f"the planner cannot use it for them, so they scan the whole table",
                     "build the index with " + " or ".join(prefix + METRICS[m][1] for m in sorted(used)))]


def _no_opclass(parsed, stmt, method, column, ctype) -> list[Finding]:
    """pgvector declares one default opclass only: vector_l2_ops for IVFFlat on vector."""
    type_ = ctype.type if ctype is not None and ctype.is_vector else None
    allowed = OPCLASS_METRICS.get((type_ or "vector", method), ())
    choices = ", ".join(_opclass(type_ or "vector", m) for m in allowed)
    return [_finding(parsed, stmt, "vector-opclass-mismatch",
                     f"{method} index on {column} names no operator class, and pgvector has no default "
                     f"one for {method} on {type_ or 'any type'}: the build fails",
                     f"name the opclass of the metric your queries use: {choices}")]


def _opclass(type_: str, metric: str) -> str:
    return f"{type_}_{METRICS[metric][1]}"


def _dims_fix(column: str, ctype: ColumnType, method: str) -> str:
    if ctype.type == "vector" and ctype.dims <= INDEX_DIM_LIMIT["halfvec"]:
        return (f"index a halfvec expression instead: (({column}::halfvec({ctype.dims})) halfvec_cosine_ops), "
                f"and query with the same cast")
    return "reduce the dimensions (a smaller model, or a bit quantization such as binary_quantize())"


def _options(node) -> dict[str, object]:
    out: dict[str, object] = {}
    for opt in node.options or ():
        value = getattr(opt.arg, "ival", None)
        if value is None:
            text = getattr(opt.arg, "sval", None) or getattr(opt.arg, "fval", None)
            try:
                value = int(text) if text is not None else None
            except ValueError:
                value = text
        out[opt.defname.lower()] = value
    return out

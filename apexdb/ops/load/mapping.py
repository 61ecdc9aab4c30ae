"""Which field of the file goes into which column, and the table ``--create`` makes.

Fields map to columns by name; ``--map field=column`` renames, ``--skip field`` leaves one
out. The vector column (``--column``) takes the field of its name, else the one field
called embedding or vector, else the one field holding lists of numbers. Every other field
needs a column, and every NOT NULL column without a default needs a field: both are
checked before a row is written.
"""
from __future__ import annotations

from dataclasses import dataclass

from apexdb.errors import BadInput
from apexdb.ops.load.columns import SUPPORTED, TEXTS
from apexdb.ops.load.vectors import is_vector_type

VECTOR_NAMES = ("embedding", "vector", "embeddings", "vectors")


@dataclass
class Target:
    field: str | None  # None: ids 0..n-1 made up for a .npy/.npz file
    column: str
    type: str  # pg_type name the value is encoded as
    dims: int | None  # vector/halfvec/sparsevec dimensions, bit length
    display: str  # as the catalog shows it ("vector(384)")
    json_text: bool = False  # the field holds JSON text (JSONL objects)
    required: bool = False  # NOT NULL without a default: a row without a value is refused


def parse_renames(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise BadInput(f"--map {pair!r}: expected FIELD=COLUMN")
        out[field.strip()] = column.strip()
    return out


def field_columns(schema, *, vector_column: str, renames: dict[str, str], skip: list[str]) -> dict[str, str]:
    """{field: column} for the fields that load, in file order."""
    names = schema.names
    for flag, fields in (("--skip", skip), ("--map", list(renames))):
        for name in fields:
            if name not in names:
                raise BadInput(f"unknown {flag} field {name!r}: the file's fields are {', '.join(names)}")
    out = {name: renames.get(name, name) for name in names if name not in skip}
    if vector_column not in out.values():
        free = [n for n in out if n not in renames]
        named = [n for n in free if n in VECTOR_NAMES]
        listed = [n for n in free if is_vector_type(schema.field(n).type)]
        pick = named if len(named) == 1 else listed if len(listed) == 1 else []
        if pick:
            out[pick[0]] = vector_column
    if vector_column not in out.values():
        raise BadInput(f"no field of the file holds the vectors for column {vector_column!r} "
                       f"(fields: {', '.join(out) or 'none'})", hint=f"--map FIELD={vector_column}")
    seen: dict[str, str] = {}
    for name, column in out.items():
        if column in seen:
            raise BadInput(f"fields {seen[column]!r} and {name!r} both go into column {column!r}",
                           hint="--skip one of them or --map it elsewhere")
        seen[column] = name
    return out


def targets(schema, mapping: dict[str, str], columns: list[dict], table: str, *, id_column: str,
            synthetic_ids: bool) -> list[Target]:
    """The table's column for each field; BadInput for a field without a column, a column of
    a type load cannot write, or a NOT NULL column nothing fills."""
    by_name = {c["column"]: c for c in columns}
    out = []
    for name, column in mapping.items():
        col = by_name.get(column)
        if col is None:
            raise BadInput(f"field {name!r} has no column in {table} (columns: {', '.join(by_name)})",
                           hint=f"--map {name}=COLUMN or --skip {name}")
        if col["generated"]:
            raise BadInput(f"column {column} of {table} is generated; it cannot be loaded", hint=f"--skip {name}")
        kind = "text" if col["kind"] == "enum" else col["type"]
        if kind not in SUPPORTED:
            raise BadInput(f"column {column} is {col['display']}; load writes {', '.join(sorted(set(SUPPORTED)))}",
                           hint=f"--skip {name}")
        json_text = (schema.field(name).metadata or {}).get(b"apexdb") == b"json"
        out.append(Target(name, column, kind, col["typmod"], col["display"], json_text,
                          col["not_null"] and not col["has_default"]))
    filled = {t.column for t in out}
    if synthetic_ids and id_column in by_name and id_column not in filled and not by_name[id_column]["has_default"]:
        col = by_name[id_column]
        out.insert(0, Target(None, id_column, col["type"], None, col["display"]))
        filled.add(id_column)
    for col in columns:
        if col["not_null"] and not col["has_default"] and col["column"] not in filled:
            raise BadInput(f"column {col['column']} of {table} is NOT NULL without a default, and no field of the "
                           f"file fills it (fields: {', '.join(mapping)})", hint=f"--map FIELD={col['column']}")
    return out


def created_targets(schema, mapping: dict[str, str], *, vector_column: str, id_column: str, dims: int,
                    synthetic_ids: bool) -> list[Target]:
    """Columns for ``--create``, typed from the file's schema."""
    out = []
    if synthetic_ids and id_column not in mapping.values():
        out.append(Target(None, id_column, "int8", None, "bigint", required=True))
    for name, column in mapping.items():
        field = schema.field(name)
        if column == vector_column:
            out.append(Target(name, column, "vector", dims, f"vector({dims})", required=True))
            continue
        json_text = (field.metadata or {}).get(b"apexdb") == b"json"
        pg_type, display = ("jsonb", "jsonb") if json_text else pg_type_of(field.type)
        out.append(Target(name, column, pg_type, None, display, json_text, required=column == id_column))
    return out


def pg_type_of(t) -> tuple[str, str]:
    """(pg_type name, SQL type) a column of Arrow type ``t`` is created with."""
    import pyarrow as pa

    if pa.types.is_boolean(t):
        return "bool", "boolean"
    if pa.types.is_integer(t):
        return ("int4", "integer") if t.bit_width <= 16 else ("int8", "bigint") if t != pa.uint64() else ("numeric", "numeric")
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return "float4", "real"
    if pa.types.is_floating(t):
        return "float8", "double precision"
    if pa.types.is_decimal(t):
        return "numeric", "numeric"
    if pa.types.is_timestamp(t):
        return ("timestamptz", "timestamp with time zone") if t.tz else ("timestamp", "timestamp without time zone")
    if pa.types.is_date(t):
        return "date", "date"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return "bytea", "bytea"
    if pa.types.is_nested(t):
        return "jsonb", "jsonb"
    return "text", "text"


def create_statement(table: str, targets_: list[Target], id_column: str):
    """CREATE TABLE with the id column as primary key when it is an integer or text."""
    from psycopg import sql

    ident = sql.Identifier(*table.split(".", 1)) if "." in table else sql.Identifier(table)
    defs = []
    for t in targets_:
        key = " PRIMARY KEY" if t.column == id_column and (t.type in ("int4", "int8") or t.type in TEXTS) else ""
        defs.append(sql.SQL("{} {}" + key).format(sql.Identifier(t.column), sql.SQL(t.display)))
    return sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(defs))

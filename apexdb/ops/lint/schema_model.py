"""What the linted SQL says about the schema: tables, column types, and which tables one
migration created or loaded rows into.

The pgvector rules need the type of the column an index is built on, and whether a table is
new (created in the same migration) or existing. Column types accumulate across the revisions
linted in one run (oldest first) and can be seeded from the server's catalog; "created here"
and "loaded here" are per migration (per revision, or per .sql file).
"""
from __future__ import annotations

from dataclasses import dataclass, field

VECTOR_TYPES = ("vector", "halfvec", "bit", "sparsevec")


@dataclass(frozen=True)
class ColumnType:
    type: str
    dims: int | None

    @property
    def is_vector(self) -> bool:
        return self.type in VECTOR_TYPES

    def __str__(self) -> str:
        return f"{self.type}({self.dims})" if self.dims is not None else self.type


def type_of(type_name) -> ColumnType | None:
    """A pglast TypeName as (type, first typmod); None when there is no name."""
    if type_name is None or not type_name.names:
        return None
    name = type_name.names[-1].sval.lower()
    dims = None
    for mod in type_name.typmods or ():
        value = getattr(getattr(mod, "val", None), "ival", None)
        if value is not None:
            dims = int(value)
            break
    return ColumnType(name, dims)


@dataclass
class SchemaModel:
    columns: dict[str, dict[str, ColumnType]] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    loaded: set[str] = field(default_factory=set)

    def begin_migration(self) -> None:
        self.created, self.loaded = set(), set()

    def seed(self, table: str, column: str, ctype: ColumnType) -> None:
        self.columns.setdefault(table, {}).setdefault(column, ctype)

    def column(self, table: str, column: str) -> ColumnType | None:
        return self.columns.get(table, {}).get(column)

    def is_new(self, table: str) -> bool:
        return table in self.created

    def apply(self, node) -> None:
        """Record what one statement does to the schema."""
        from pglast import ast
        from pglast.enums import AlterTableType as AT, ObjectType

        if isinstance(node, ast.CreateStmt):
            table = node.relation.relname
            if not (node.if_not_exists and table in self.columns):
                self.created.add(table)
                self.loaded.discard(table)
            cols = self.columns.setdefault(table, {})
            for elt in node.tableElts or ():
                if isinstance(elt, ast.ColumnDef) and type_of(elt.typeName):
                    cols[elt.colname] = type_of(elt.typeName)
        elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
            table = node.into.rel.relname
            self.created.add(table)
            if not node.into.skipData:
                self.loaded.add(table)
        elif isinstance(node, (ast.InsertStmt, ast.CopyStmt)) and node.relation is not None:
            if not isinstance(node, ast.CopyStmt) or node.is_from:
                self.loaded.add(node.relation.relname)
        elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            cols = self.columns.setdefault(node.relation.relname, {})
            for cmd in node.cmds or ():
                if cmd.subtype == AT.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                    ctype = type_of(cmd.def_.typeName)
                    if ctype:
                        cols[cmd.def_.colname] = ctype
                elif cmd.subtype == AT.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
                    ctype = type_of(cmd.def_.typeName)
                    if ctype:
                        cols[cmd.name] = ctype
                elif cmd.subtype == AT.AT_DropColumn:
                    cols.pop(cmd.name, None)
        elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
            for obj in node.objects or ():
                names = [s.sval for s in obj] if isinstance(obj, (list, tuple)) else []
                if names:
                    self.columns.pop(names[-1], None)
                    self.created.discard(names[-1])

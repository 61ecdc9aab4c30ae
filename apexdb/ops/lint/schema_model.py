"""What the linted SQL says about the schema, tracked through the whole history linted in one run
(every earlier revision, or every earlier file of a folder): tables, column types, ANN indexes,
and, within one migration, which tables are empty and which columns are all NULL.

The pgvector rules need the type of the column an index is built on, the indexes a type change
must rebuild, and whether a table can hold rows at this point of the migration: a table created
or truncated earlier in the same migration is empty until something loads it, so building on it
or rewriting it costs nothing. Column types and indexes can be seeded from the server's catalog.
Table names are matched without their schema.
"""
from __future__ import annotations

from dataclasses import dataclass, field

VECTOR_TYPES = ("vector", "halfvec", "bit", "sparsevec")
ANN_METHODS = ("hnsw", "ivfflat")


@dataclass(frozen=True)
class ColumnType:
    type: str
    dims: int | None

    @property
    def is_vector(self) -> bool:
        return self.type in VECTOR_TYPES

    def __str__(self) -> str:
        return f"{self.type}({self.dims})" if self.dims is not None else self.type


@dataclass
class AnnIndex:
    name: str
    table: str
    method: str
    column: str | None  # the plain column indexed, or the column inside a cast expression
    opclass: str | None


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


def index_column(elem) -> str | None:
    """The column an index element covers: a plain column, or the column inside ``(col::type)``."""
    from pglast import ast

    if elem.name:
        return elem.name
    expr = elem.expr
    if isinstance(expr, ast.TypeCast):
        expr = expr.arg
    if isinstance(expr, ast.ColumnRef):
        return expr.fields[-1].sval
    return None


def target_table(node) -> str | None:
    """The table a statement works on (the one whose rows it scans, rewrites or locks)."""
    relation = getattr(node, "relation", None)
    return getattr(relation, "relname", None)


@dataclass
class SchemaModel:
    columns: dict[str, dict[str, ColumnType]] = field(default_factory=dict)
    indexes: dict[str, AnnIndex] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)  # created in this migration
    empty: set[str] = field(default_factory=set)  # known empty at this point of this migration
    null_columns: set[tuple[str, str]] = field(default_factory=set)  # added this migration, all NULL
    query_metrics: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # from --queries

    def begin_migration(self) -> None:
        self.created, self.empty, self.null_columns = set(), set(), set()

    def seed(self, table: str, column: str, ctype: ColumnType) -> None:
        self.columns.setdefault(table, {}).setdefault(column, ctype)

    def seed_index(self, index: AnnIndex) -> None:
        self.indexes.setdefault(index.name, index)

    def column(self, table: str, column: str) -> ColumnType | None:
        return self.columns.get(table, {}).get(column)

    def is_new(self, table: str) -> bool:
        return table in self.created

    def is_empty(self, table: str | None) -> bool:
        return table is not None and table in self.empty

    def ann_indexes(self, table: str, column: str | None = None) -> list[AnnIndex]:
        return [ix for ix in self.indexes.values()
                if ix.table == table and (column is None or ix.column == column)]

    def apply(self, node) -> None:
        """Record what one statement does to the schema."""
        from pglast import ast

        handler = _HANDLERS.get(type(node).__name__)
        if handler is not None:
            handler(self, node, ast)

    # -- per statement kind ---------------------------------------------------------------------
    def _create(self, node, ast) -> None:
        table = node.relation.relname
        if not (node.if_not_exists and table in self.columns):
            self.created.add(table)
            self.empty.add(table)
            self._drop_table(table)
        cols = self.columns.setdefault(table, {})
        for elt in node.tableElts or ():
            if isinstance(elt, ast.ColumnDef) and type_of(elt.typeName):
                cols[elt.colname] = type_of(elt.typeName)

    def _create_as(self, node, ast) -> None:
        if node.into is None:
            return
        table = node.into.rel.relname
        self.created.add(table)
        (self.empty.add if node.into.skipData else self.empty.discard)(table)

    def _loads(self, node, ast) -> None:
        table = target_table(node)
        if table is None or (isinstance(node, ast.CopyStmt) and not node.is_from):
            return
        if isinstance(node, ast.UpdateStmt):  # an UPDATE of an empty table leaves it empty
            for target in node.targetList or ():
                self.null_columns.discard((table, target.name))
        else:
            self.empty.discard(table)
            self.null_columns = {(t, c) for t, c in self.null_columns if t != table}

    def _truncate(self, node, ast) -> None:
        for rel in node.relations or ():
            self.empty.add(rel.relname)

    def _index(self, node, ast) -> None:
        method = (node.accessMethod or "").lower()
        if method not in ANN_METHODS or node.relation is None:
            return
        table = node.relation.relname
        for elem in node.indexParams or ():
            column = index_column(elem)
            name = node.idxname or f"{table}_{column or 'expr'}_idx"
            opclass = elem.opclass[-1].sval.lower() if elem.opclass else None
            self.indexes[name] = AnnIndex(name, table, method, column, opclass)

    def _alter(self, node, ast) -> None:
        from pglast.enums import AlterTableType as AT

        if node.relation is None:
            return
        table = node.relation.relname
        cols = self.columns.setdefault(table, {})
        for cmd in node.cmds or ():
            if cmd.subtype == AT.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                ctype = type_of(cmd.def_.typeName)
                if ctype:
                    cols[cmd.def_.colname] = ctype
                if not any(isinstance(c, ast.Constraint) and c.raw_expr is not None
                           for c in cmd.def_.constraints or ()):
                    self.null_columns.add((table, cmd.def_.colname))
            elif cmd.subtype == AT.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
                ctype = type_of(cmd.def_.typeName)
                if ctype:
                    cols[cmd.name] = ctype
            elif cmd.subtype == AT.AT_DropColumn:
                cols.pop(cmd.name, None)
                for ix in self.ann_indexes(table, cmd.name):
                    self.indexes.pop(ix.name, None)

    def _drop(self, node, ast) -> None:
        from pglast.enums import ObjectType

        if node.removeType not in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_INDEX):
            return
        names = [[getattr(s, "sval", None) for s in obj] for obj in node.objects or ()
                 if isinstance(obj, (list, tuple))]
        for name in (n[-1] for n in names if n and n[-1]):
            if node.removeType == ObjectType.OBJECT_TABLE:
                self._drop_table(name)
                self.created.discard(name)
            elif node.removeType == ObjectType.OBJECT_INDEX:
                self.indexes.pop(name, None)

    def _drop_table(self, table: str) -> None:
        self.columns.pop(table, None)
        for ix in self.ann_indexes(table):
            self.indexes.pop(ix.name, None)

    def _rename(self, node, ast) -> None:
        from pglast.enums import ObjectType as OT

        table = target_table(node)
        if node.renameType == OT.OBJECT_COLUMN and table:
            cols = self.columns.get(table, {})
            if node.subname in cols:
                cols[node.newname] = cols.pop(node.subname)
            for ix in self.ann_indexes(table, node.subname):
                ix.column = node.newname
        elif node.renameType == OT.OBJECT_TABLE and table:
            if table in self.columns:
                self.columns[node.newname] = self.columns.pop(table)
            for ix in self.ann_indexes(table):
                ix.table = node.newname
            for group in (self.created, self.empty):
                if table in group:
                    group.discard(table)
                    group.add(node.newname)
        elif node.renameType == OT.OBJECT_INDEX and table in self.indexes:
            ix = self.indexes.pop(table)
            ix.name = node.newname
            self.indexes[node.newname] = ix


_HANDLERS = {
    "CreateStmt": SchemaModel._create, "CreateTableAsStmt": SchemaModel._create_as,
    "InsertStmt": SchemaModel._loads, "CopyStmt": SchemaModel._loads, "UpdateStmt": SchemaModel._loads,
    "TruncateStmt": SchemaModel._truncate, "IndexStmt": SchemaModel._index,
    "AlterTableStmt": SchemaModel._alter, "DropStmt": SchemaModel._drop, "RenameStmt": SchemaModel._rename,
}

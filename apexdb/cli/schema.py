"""``apexdb schema show [TABLE]``: tables, columns, types, constraints, indexes and sizes."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from apexdb.cli.common import DsnOpt, FormatOpt, Session, TargetOpt

schema_app = typer.Typer(name="schema", help="Look at the schema: tables, columns, constraints, indexes, sizes.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(schema_app, name="schema", rich_help_panel="Schema")


@schema_app.command("show")
def show(table: Annotated[Optional[str], typer.Argument(help="A table (name or schema.name); all when omitted.")]
         = None, dsn: DsnOpt = None, target: TargetOpt = None, format: FormatOpt = "table") -> None:
    """Every table with its size, or one table's columns, constraints and indexes."""
    from apexdb.render import Column, Section, cols
    from apexdb.schema.catalog import describe_table, list_tables

    with Session(format, dsn, target) as s:
        conn = s.connect()
        if table is None:
            rows = list_tables(conn)
            s.out.table(rows, cols("schema", "table", "estimated_rows:int", "columns:int", "constraints:int",
                                   "indexes:int", "table_bytes:bytes", "index_bytes:bytes", "total_bytes:bytes"),
                        title="Tables", doc={"tables": rows}, empty="(no tables)")
            return
        info = describe_table(conn, table)
        t = info["table"]
        title = f"{t['schema']}.{t['table']}"
        if t.get("total_bytes") is not None:
            from apexdb.render.format import human_bytes, human_int

            title += (f"  ~{human_int(t['estimated_rows'])} rows, {human_bytes(t['table_bytes'])} table + "
                      f"{human_bytes(t['index_bytes'])} indexes")
        s.out.sections([
            Section(title, info["columns"], cols("column", "type", "nullable:bool", "default")),
            Section("Constraints", info["constraints"],
                    cols("name", "type", Column("definition", max_width=90), "validated:bool")),
            Section("Indexes", info["indexes"],
                    cols("name", "method", Column("key", "columns and options", max_width=80), "size_bytes:bytes",
                         "scans:int", "valid:bool")),
        ], doc=info)

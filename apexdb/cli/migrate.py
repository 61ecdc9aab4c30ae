"""``apexdb migrate``: run, inspect and write Alembic migrations (apexdb's own or any project's)."""
from __future__ import annotations

import typer

migrate_app = typer.Typer(
    name="migrate",
    help="Apply, inspect and write migrations: the Apex schema, or the Alembic project in ./alembic.ini.",
    no_args_is_help=False,
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(migrate_app, name="migrate", rich_help_panel="Schema")

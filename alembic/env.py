"""Alembic environment for the Apex schema; the work is in apexdb.ops.migrate.env."""
from logging.config import fileConfig

from alembic import context

from apexdb.ops.migrate.env import run
from apexdb.schema import metadata

# Under `apexdb migrate` apexdb reports progress itself; plain `alembic` logs as alembic.ini says.
if context.config.config_file_name is not None and not context.config.attributes.get("apexdb_runner"):
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

run(context, metadata)

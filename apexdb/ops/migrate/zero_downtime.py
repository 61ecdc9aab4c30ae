"""Zero-downtime building blocks for Alembic migrations (schema-research.md section 5).

Call them from a migration's ``upgrade()``/``downgrade()``::

    from apexdb.ops.migrate import zero_downtime as zd

    def upgrade():
        zd.create_index_concurrently("ix_items_name", "items", ["name"])
        zd.backfill_in_batches("items", "name = 'item-' || id", where="name IS NULL")
        zd.add_not_null("items", "name")

Each helper that needs to run outside a transaction does its work in an
``autocommit_block()``, so every statement commits on its own and holds its lock only for
itself; apexdb's ``lock_timeout`` applies to each. Each can be rerun after an interruption:
leftovers (an INVALID index, a half-added CHECK) are cleaned up first. That also means
a migration that calls them should contain only rerunnable steps around them, because the
transactional part before an autocommit block is committed when the block starts.
In ``--sql`` (offline) mode they write the statements they would run.
"""
from __future__ import annotations

import logging
import time
from typing import Sequence

import sqlalchemy as sa
from alembic import op

from apexdb import sql as registry

log = logging.getLogger("apexdb.zero_downtime")

__all__ = ["create_index_concurrently", "drop_index_concurrently", "add_not_null", "drop_not_null",
           "add_foreign_key_not_valid", "backfill_in_batches", "expand_column_change",
           "contract_column_change", "undo_expand_column_change", "undo_contract_column_change"]


def _lint_note(rules: str, reason: str) -> str:
    """An ``apexdb migrate lint`` ignore for the statement it precedes: the helper knows why it is safe."""
    return f"-- apexdb: ignore {rules} {reason}\n"


def _offline() -> bool:
    return op.get_context().as_sql


def _q(name: str) -> str:
    return op.get_context().dialect.identifier_preparer.quote(name)


def _table(table: str, schema: str | None) -> str:
    return f"{_q(schema)}.{_q(table)}" if schema else _q(table)


def _index_valid(name: str, schema: str | None) -> bool | None:
    """True/False for an existing index's indisvalid, None when there is no such index."""
    return _index_valid_on(op.get_bind(), name, schema)


def _index_valid_on(conn, name: str, schema: str | None) -> bool | None:
    row = conn.exec_driver_sql(registry.get("migrate_index_valid").text, {"name": name, "schema": schema}).fetchone()
    return None if row is None else bool(row[0])


def _drop_invalid_index(name: str, schema: str | None, connection=None) -> None:
    conn = connection if connection is not None else op.get_bind()
    if _index_valid_on(conn, name, schema) is False:
        target = f"{_q(schema)}.{_q(name)}" if schema else _q(name)
        conn.execute(sa.text(f"DROP INDEX CONCURRENTLY IF EXISTS {target}"))


def create_index_concurrently(name: str, table: str, columns: Sequence[str | sa.TextClause], *,
                              schema: str | None = None, unique: bool = False, **dialect_kw) -> None:
    """``CREATE INDEX CONCURRENTLY IF NOT EXISTS``, writes keep flowing while it builds.

    ``dialect_kw`` are Alembic's ``postgresql_using``/``postgresql_with``/``postgresql_ops``/
    ``postgresql_where``. An INVALID index of the same name (left by a crash) is dropped
    first; a build that fails or is interrupted drops the INVALID index it leaves.
    """
    with op.get_context().autocommit_block():
        if not _offline() and _index_valid(name, schema) is False:
            log.warning("dropping INVALID index %s left by an earlier run", name)
            _drop_invalid_index(name, schema)
        try:
            op.create_index(name, table, list(columns), schema=schema, unique=unique,
                            postgresql_concurrently=True, if_not_exists=True, **dialect_kw)
        except BaseException:
            if not _offline():
                _cleanup_after_failed_build(name, schema)
            raise


def _cleanup_after_failed_build(name: str, schema: str | None) -> None:
    """The build's own connection may be unusable (Ctrl-C invalidates it): use a new one."""
    try:
        engine = op.get_bind().engine
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            _drop_invalid_index(name, schema, conn)
    except Exception as exc:  # the rerun drops it instead
        log.warning("could not drop the INVALID index %s: %s", name, str(exc).splitlines()[0])


def drop_index_concurrently(name: str, *, schema: str | None = None, table: str | None = None) -> None:
    """``DROP INDEX CONCURRENTLY IF EXISTS``: no ACCESS EXCLUSIVE lock on the table."""
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, schema=schema, postgresql_concurrently=True, if_exists=True)


def add_not_null(table: str, column: str, *, schema: str | None = None, constraint: str | None = None) -> None:
    """SET NOT NULL without a long exclusive lock: CHECK ... NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK.

    VALIDATE scans under SHARE UPDATE EXCLUSIVE (writes go on); SET NOT NULL then uses the
    validated CHECK instead of scanning again (PostgreSQL 12+), so the exclusive lock is brief.
    """
    name = constraint or f"{table}_{column}_not_null"[:63]
    t, c, k = _table(table, schema), _q(column), _q(name)
    own = "the CHECK is this helper's own temporary one"
    with op.get_context().autocommit_block():
        op.execute(_lint_note("ban-drop-constraint", f"{own}, left by an interrupted run")
                   + f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {k}")
        op.execute(f"ALTER TABLE {t} ADD CONSTRAINT {k} CHECK ({c} IS NOT NULL) NOT VALID")
        op.execute(f"ALTER TABLE {t} VALIDATE CONSTRAINT {k}")
        op.execute(_lint_note("prefer-robust-stmts", "SET NOT NULL on a NOT NULL column is a no-op: rerunnable")
                   + f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL")
        op.execute(_lint_note("ban-drop-constraint", f"{own}; SET NOT NULL now holds")
                   + f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {k}")


def drop_not_null(table: str, column: str, *, schema: str | None = None) -> None:
    """The downgrade of :func:`add_not_null` (a catalog-only change)."""
    op.execute(f"ALTER TABLE {_table(table, schema)} ALTER COLUMN {_q(column)} DROP NOT NULL")


def add_foreign_key_not_valid(name: str, table: str, columns: Sequence[str], referent: str,
                              referent_columns: Sequence[str], *, schema: str | None = None,
                              referent_schema: str | None = None, ondelete: str | None = None) -> None:
    """Add a foreign key NOT VALID (no scan under the exclusive lock), then VALIDATE it apart."""
    if ondelete is not None and ondelete.upper() not in ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT",
                                                         "NO ACTION"):
        raise ValueError(f"ondelete {ondelete!r} is not a referential action")
    t, k = _table(table, schema), _q(name)
    local = ", ".join(_q(c) for c in columns)
    remote = ", ".join(_q(c) for c in referent_columns)
    action = f" ON DELETE {ondelete.upper()}" if ondelete else ""
    with op.get_context().autocommit_block():
        op.execute(_lint_note("ban-drop-constraint", "only a half-added key of this name, from an interrupted run")
                   + f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {k}")
        op.execute(f"ALTER TABLE {t} ADD CONSTRAINT {k} FOREIGN KEY ({local}) "
                   f"REFERENCES {_table(referent, referent_schema)} ({remote}){action} NOT VALID")
        op.execute(f"ALTER TABLE {t} VALIDATE CONSTRAINT {k}")


def backfill_in_batches(table: str, set_sql: str, *, where: str, pk: str = "id", batch_size: int = 1000,
                        pause: float = 0.1, schema: str | None = None) -> int:
    """``UPDATE table SET set_sql WHERE where``, ``batch_size`` rows at a time in primary key order.

    Each batch commits by itself (short row locks, no long transaction holding back vacuum),
    with ``pause`` seconds between batches. ``set_sql`` and ``where`` are SQL written by the
    migration author. Returns the number of rows updated (0 in --sql mode).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    t, key = _table(table, schema), _q(pk)
    if _offline():
        op.execute(f"-- apexdb backfill in batches of {batch_size} by {pk}, shown here as one statement\n"
                   f"UPDATE {t} SET {set_sql} WHERE {where}")
        return 0
    first = sa.text(
        f"WITH batch AS (SELECT {key} AS apexdb_batch_key FROM {t} WHERE ({where}) ORDER BY {key} LIMIT :n) "
        f"UPDATE {t} AS target SET {set_sql} FROM batch WHERE target.{key} = batch.apexdb_batch_key RETURNING target.{key}")
    after = sa.text(
        f"WITH batch AS (SELECT {key} AS apexdb_batch_key FROM {t} WHERE ({where}) AND {key} > :last "
        f"ORDER BY {key} LIMIT :n) "
        f"UPDATE {t} AS target SET {set_sql} FROM batch WHERE target.{key} = batch.apexdb_batch_key RETURNING target.{key}")
    total, last = 0, None
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        while True:
            if last is None:
                keys = [row[0] for row in bind.execute(first, {"n": batch_size})]
            else:
                keys = [row[0] for row in bind.execute(after, {"n": batch_size, "last": last})]
            if not keys:
                break
            total += len(keys)
            last = max(keys)
            log.info("backfill %s: %d rows so far", table, total)
            time.sleep(pause)
    return total


def _fill(expression: str, column_sql: str) -> str:
    """``expression`` with each ``{}`` replaced by the column (other braces, as in JSON, stay)."""
    if "{}" not in expression:
        raise ValueError(f"conversion {expression!r} must contain {{}} where the old value goes")
    return expression.replace("{}", column_sql)


def _sync_function(table: str, column: str) -> str:
    return f"{table}_{column}_expand_sync"[:63]


def expand_column_change(table: str, column: str, new_type: sa.types.TypeEngine, *, using: str = "{}",
                         new_column: str | None = None, pk: str = "id", batch_size: int = 1000,
                         pause: float = 0.1, schema: str | None = None) -> int:
    """Expand: add ``new_column`` of ``new_type``, keep it in step with ``column`` by a trigger while
    old code still writes ``column``, and backfill existing rows in batches.

    ``using`` converts the old value, ``{}`` standing for it (default: a plain cast). Follow
    with :func:`contract_column_change` once nothing reads the old column.
    """
    new = new_column or f"{column}_new"
    t, old_q, new_q = _table(table, schema), _q(column), _q(new)
    type_sql = new_type.compile(dialect=op.get_context().dialect)
    fn = _table(_sync_function(table, column), schema)
    convert_new = f"({_fill(using, 'NEW.' + old_q)})::{type_sql}"
    op.execute(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {new_q} {type_sql}")
    op.execute(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN NEW.{new_q} := {convert_new}; RETURN NEW; END $$")
    op.execute(f"DROP TRIGGER IF EXISTS {_q(_sync_function(table, column))} ON {t}")
    op.execute(f"CREATE TRIGGER {_q(_sync_function(table, column))} BEFORE INSERT OR UPDATE OF {old_q} "
               f"ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}()")
    convert = f"({_fill(using, old_q)})::{type_sql}"
    return backfill_in_batches(table, f"{new_q} = {convert}", where=f"{old_q} IS NOT NULL AND {new_q} IS NULL",
                               pk=pk, batch_size=batch_size, pause=pause, schema=schema)


def undo_expand_column_change(table: str, column: str, *, new_column: str | None = None,
                              schema: str | None = None) -> None:
    """The downgrade of :func:`expand_column_change`: drop the trigger, its function and the new column."""
    t = _table(table, schema)
    op.execute(f"DROP TRIGGER IF EXISTS {_q(_sync_function(table, column))} ON {t}")
    op.execute(f"DROP FUNCTION IF EXISTS {_table(_sync_function(table, column), schema)}()")
    op.execute(f"ALTER TABLE {t} DROP COLUMN IF EXISTS {_q(new_column or column + '_new')}")


def contract_column_change(table: str, column: str, *, new_column: str | None = None,
                           schema: str | None = None) -> None:
    """Contract: drop the sync trigger and the old column, and give the new column the old name.

    Catalog-only statements: one brief exclusive lock, bounded by lock_timeout.
    """
    t = _table(table, schema)
    phase = "the contract phase: by now nothing reads the old column (expand/contract)"
    op.execute(f"DROP TRIGGER IF EXISTS {_q(_sync_function(table, column))} ON {t}")
    op.execute(_lint_note("ban-drop-function", "the expand phase's own sync function")
               + f"DROP FUNCTION IF EXISTS {_table(_sync_function(table, column), schema)}()")
    op.execute(_lint_note("ban-drop-column", phase) + f"ALTER TABLE {t} DROP COLUMN {_q(column)}")
    op.execute(_lint_note("renaming-column", phase)
               + f"ALTER TABLE {t} RENAME COLUMN {_q(new_column or column + '_new')} TO {_q(column)}")


def undo_contract_column_change(table: str, column: str, old_type: sa.types.TypeEngine, *,
                                using_back: str = "{}", using: str = "{}", new_column: str | None = None,
                                pk: str = "id", batch_size: int = 1000, pause: float = 0.1,
                                schema: str | None = None) -> int:
    """The downgrade of :func:`contract_column_change`: back to the expanded state.

    The current column becomes ``new_column`` again; the old column is re-added of
    ``old_type``, filled from it with ``using_back`` in batches, and the sync trigger returns.
    """
    new = new_column or f"{column}_new"
    t = _table(table, schema)
    old_sql = old_type.compile(dialect=op.get_context().dialect)
    op.execute(f"ALTER TABLE {t} RENAME COLUMN {_q(column)} TO {_q(new)}")
    op.execute(f"ALTER TABLE {t} ADD COLUMN {_q(column)} {old_sql}")
    done = backfill_in_batches(table, f"{_q(column)} = ({_fill(using_back, _q(new))})::{old_sql}",
                               where=f"{_q(new)} IS NOT NULL AND {_q(column)} IS NULL", pk=pk,
                               batch_size=batch_size, pause=pause, schema=schema)
    fn = _table(_sync_function(table, column), schema)
    new_type_sql = op.get_bind().exec_driver_sql(registry.get("migrate_column_type").text,
                                                 {"table": t, "column": new}).scalar() if not _offline() else "text"
    op.execute(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN NEW.{_q(new)} := ({_fill(using, 'NEW.' + _q(column))})::{new_type_sql}; RETURN NEW; END $$")
    op.execute(f"CREATE TRIGGER {_q(_sync_function(table, column))} BEFORE INSERT OR UPDATE OF {_q(column)} "
               f"ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}()")
    return done

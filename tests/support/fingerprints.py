"""Fingerprints that show a command changed nothing (or exactly what it should)."""
from __future__ import annotations

import psycopg
from psycopg import sql

_CATALOG = """
SELECT x FROM (
  SELECT format('rel %s.%s %s', n.nspname, c.relname, c.relkind) AS x
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relkind <> 't'
  UNION ALL
  SELECT format('col %s.%s %s %s %s', c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND a.attnum > 0
     AND NOT a.attisdropped
  UNION ALL
  SELECT format('idx %s valid=%s ready=%s', pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisready)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  UNION ALL
  SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL
  SELECT format('ext %s %s', extname, extversion) FROM pg_extension
  UNION ALL
  SELECT format('setting %s %s %s', setdatabase, setrole, setconfig) FROM pg_db_role_setting
  UNION ALL
  SELECT format('role %s', rolname) FROM pg_roles WHERE rolname !~ '^pg_'
) s ORDER BY x
"""

_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
 ORDER BY 1, 2
"""


def catalog_fingerprint(dsn: str) -> str:
    """sha256 over every catalog definition and every row of every user table."""
    import hashlib

    digest = hashlib.sha256()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for (line,) in conn.execute(_CATALOG):
            digest.update(line.encode() + b"\n")
        for schema, table in conn.execute(_TABLES).fetchall():
            query = sql.SQL("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t").format(
                sql.Identifier(schema, table))
            digest.update(f"{schema}.{table}=".encode() + conn.execute(query).fetchone()[0].encode())
    return digest.hexdigest()


def schema_snapshot(db) -> dict:
    """Everything about the public schema a migration could change (names, types, definitions)."""
    return {
        "columns": db.sql("SELECT table_name, column_name, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
                          "pg_get_expr(d.adbin, d.adrelid) FROM information_schema.columns c "
                          "JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass "
                          "AND a.attname = c.column_name "
                          "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                          "WHERE c.table_schema = 'public' ORDER BY 1, 2"),
        "constraints": db.sql("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
                              "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"),
        "indexes": db.sql("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid), indisvalid FROM pg_index "
                          "WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace) "
                          "ORDER BY 1"),
        "extensions": db.sql("SELECT extname FROM pg_extension WHERE extname = 'vector'"),
    }


def tables(db) -> set[str]:
    return {r[0] for r in db.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def alembic_version(db):
    """The revisions in alembic_version, or "no table"."""
    if not db.scalar("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
        return "no table"
    return [r[0] for r in db.sql("SELECT version_num FROM alembic_version")]

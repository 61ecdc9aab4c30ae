"""A fingerprint of a database's catalog and data, to show a command changed nothing."""
from __future__ import annotations

import hashlib

import psycopg
from psycopg import sql

CATALOG = """
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

TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
 ORDER BY 1, 2
"""


def fingerprint(dsn: str) -> str:
    """sha256 over every catalog definition and every row of every user table."""
    digest = hashlib.sha256()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for (line,) in conn.execute(CATALOG):
            digest.update(line.encode() + b"\n")
        for schema, table in conn.execute(TABLES).fetchall():
            query = sql.SQL("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t").format(
                sql.Identifier(schema, table))
            digest.update(f"{schema}.{table}=".encode() + conn.execute(query).fetchone()[0].encode())
    return digest.hexdigest()

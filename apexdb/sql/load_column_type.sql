-- The type name (pg_type.typname, as psycopg knows it) of one column of a table, for COPY BINARY
SELECT a.attname AS column, t.typname AS type, a.attnotnull AS not_null, a.attidentity AS identity
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %(table_oid)s::bigint::oid AND a.attname = %(column)s AND a.attnum > 0 AND NOT a.attisdropped

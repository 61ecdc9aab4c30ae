-- One column of a table: its type as SQL writes it (vector(3)), the type name psycopg knows (for COPY BINARY), NOT NULL and identity
SELECT a.attname AS column,
       format_type(a.atttypid, a.atttypmod) AS type,
       t.typname AS type_name,
       a.attnotnull AS not_null,
       a.attidentity AS identity
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %(table_oid)s::bigint::oid AND a.attname = %(column)s AND a.attnum > 0 AND NOT a.attisdropped

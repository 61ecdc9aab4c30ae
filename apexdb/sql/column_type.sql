-- The type of one column of a table (to explain why it is not a vector column)
SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
FROM pg_attribute a
WHERE a.attrelid = %(table_oid)s::bigint::oid AND a.attname = %(column)s AND a.attnum > 0 AND NOT a.attisdropped

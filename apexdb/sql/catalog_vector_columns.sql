-- Columns of type vector, halfvec, bit or sparsevec (optionally of one table), with dimensions
SELECT n.nspname AS schema,
       c.relname AS table,
       c.oid::bigint AS table_oid,
       a.attname AS column,
       a.attnum AS attnum,
       t.typname AS type,
       CASE WHEN a.atttypmod > 0 THEN a.atttypmod END AS dims,
       NOT a.attnotnull AS nullable,
       greatest(c.reltuples, 0)::bigint AS estimated_rows
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
WHERE t.typname IN ('vector', 'halfvec', 'bit', 'sparsevec')
  AND c.relkind IN ('r', 'p', 'm')
  AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND (%(table_oid)s::bigint IS NULL OR c.oid = %(table_oid)s::bigint)
ORDER BY n.nspname, c.relname, a.attnum

-- Columns of one table with their types, and which single column identifies a row (primary key, else a unique not-null index)
SELECT a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       t.typname AS base_type,
       t.typcategory AS category,
       EXISTS (SELECT 1 FROM pg_index i
               WHERE i.indrelid = a.attrelid AND i.indisprimary AND i.indnatts = 1
                 AND i.indkey[0] = a.attnum) AS is_primary_key,
       a.attnotnull AND EXISTS (SELECT 1 FROM pg_index i
               WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indnatts = 1 AND i.indpred IS NULL
                 AND i.indkey[0] = a.attnum) AS is_unique
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %(table_oid)s::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum

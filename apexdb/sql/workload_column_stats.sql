-- Each column of one table with its type and pg_stats (distinct values, common values, histogram bounds as text)
SELECT a.attname::text AS column,
       format_type(a.atttypid, a.atttypmod) AS type,
       s.n_distinct,
       CASE WHEN t.typname NOT IN ('vector', 'halfvec', 'sparsevec') THEN s.most_common_vals::text::text[] END
           AS common_values,
       CASE WHEN t.typname NOT IN ('vector', 'halfvec', 'sparsevec') THEN s.histogram_bounds::text::text[] END
           AS bounds
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_stats s ON s.schemaname = %(schema)s AND s.tablename = %(table)s AND s.attname = a.attname
WHERE a.attrelid = %(table_oid)s::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped

-- Tables of the user's schemas with row estimates, sizes and counts of columns, constraints and indexes
SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind,
       greatest(c.reltuples, 0)::bigint AS estimated_rows,
       pg_table_size(c.oid) AS table_bytes,
       pg_indexes_size(c.oid) AS index_bytes,
       pg_total_relation_size(c.oid) AS total_bytes,
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::int
           AS columns,
       (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid)::int AS constraints,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)::int AS indexes,
       obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%%'
  AND NOT c.relispartition
ORDER BY n.nspname, c.relname

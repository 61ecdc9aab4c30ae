-- Indexes by "schema.name" (%(names)s): state, approximate size, table, and whether a concurrent build or reindex runs on it
SELECT ic.oid::bigint AS oid, n.nspname AS schema, ic.relname AS name,
       c.oid::bigint AS table_oid, tn.nspname AS table_schema, c.relname AS table_name,
       am.amname AS method, i.indisvalid AS valid, i.indisready AS ready,
       i.indisprimary OR i.indisunique AS is_unique,
       c.relkind = 't' AS on_toast,
       -- from pg_class, so a table locked by someone else cannot make planning wait
       ic.relpages::bigint * current_setting('block_size')::bigint AS approx_bytes,
       c.relpages::bigint * current_setting('block_size')::bigint AS table_approx_bytes,
       EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
               WHERE p.datname = current_database() AND p.pid <> pg_backend_pid()
                 AND (p.index_relid = ic.oid
                      OR (NOT i.indisvalid AND p.relid = c.oid AND p.command LIKE '%%CONCURRENTLY%%')))
         AS being_built
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
WHERE (n.nspname || '.' || ic.relname) = ANY (%(names)s::text[])
ORDER BY n.nspname, ic.relname

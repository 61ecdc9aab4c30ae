-- Invalid indexes in user schemas, not being built right now; leftovers of failed concurrent reindexes (_ccnew/_ccold) marked
SELECT n.nspname || '.' || ic.relname AS qualified, n.nspname AS schema, ic.relname AS name,
       c.relname AS table_name, tn.nspname AS table_schema,
       (ic.relname ~ '_cc(new|old)[0-9]*$') AS leftover
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = c.relnamespace
WHERE NOT i.indisvalid
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%%'
  AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
                  WHERE p.datname = current_database() AND p.pid <> pg_backend_pid()
                    AND (p.index_relid = ic.oid OR (p.relid = c.oid AND p.command LIKE '%%CONCURRENTLY%%')))
ORDER BY n.nspname, ic.relname

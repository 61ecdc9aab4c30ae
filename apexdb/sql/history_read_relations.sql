-- A server's tables and indexes: sizes (on the primary) and HNSW/IVFFlat scans; relations someone holds ACCESS EXCLUSIVE on are skipped
WITH locked AS MATERIALIZED (
    SELECT DISTINCT l.relation FROM pg_locks l
    WHERE l.mode = 'AccessExclusiveLock' AND l.locktype = 'relation'
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
SELECT c.oid AS relid,
       CASE WHEN c.relkind = 'i' THEN 'index' ELSE 'table' END AS kind,
       n.nspname AS schema_name,
       c.relname AS name,
       t.relname AS table_name,
       am.amname AS method,
       CASE WHEN %(with_sizes)s::boolean THEN
            CASE WHEN c.relkind = 'i' THEN pg_relation_size(c.oid) ELSE pg_total_relation_size(c.oid) END
       END AS bytes,
       CASE WHEN am.amname IN ('hnsw', 'ivfflat') THEN pg_stat_get_numscans(c.oid) END AS scans
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indexrelid = c.oid
LEFT JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_am am ON am.oid = c.relam AND c.relkind = 'i'
WHERE c.relkind IN ('r', 'm', 'i')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname <> %(history_schema)s::text
  AND n.nspname NOT LIKE 'pg\_toast%%' AND n.nspname NOT LIKE 'pg\_temp%%'
  AND c.oid NOT IN (SELECT relation FROM locked)
  AND (%(with_sizes)s::boolean OR am.amname IN ('hnsw', 'ivfflat'))

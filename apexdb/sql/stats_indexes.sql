-- Indexes by size: method, scans, tuples read and fetched, unique/primary
SELECT s.schemaname AS schema,
       s.relname AS table,
       s.indexrelname AS index,
       am.amname AS method,
       pg_relation_size(s.indexrelid) AS size_bytes,
       s.idx_scan AS scans,
       s.idx_tup_read AS tuples_read,
       s.idx_tup_fetch AS tuples_fetched,
       i.indisunique AS is_unique,
       i.indisprimary AS is_primary,
       i.indisvalid AS valid,
       NULL::timestamptz AS last_scan
FROM pg_stat_user_indexes s
JOIN pg_index i ON i.indexrelid = s.indexrelid
JOIN pg_class c ON c.oid = s.indexrelid
JOIN pg_am am ON am.oid = c.relam
ORDER BY pg_relation_size(s.indexrelid) DESC, s.schemaname, s.indexrelname
LIMIT %(limit)s::bigint

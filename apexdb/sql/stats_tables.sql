-- Tables by total size: rows, sequential against index scans, dead tuples, last vacuum and analyze
SELECT s.schemaname AS schema,
       s.relname AS table,
       pg_total_relation_size(s.relid) AS total_bytes,
       pg_relation_size(s.relid) AS table_bytes,
       s.n_live_tup AS rows,
       s.seq_scan,
       s.seq_tup_read,
       s.idx_scan,
       s.idx_scan::float8 / nullif(coalesce(s.idx_scan, 0) + s.seq_scan, 0) AS index_scan_ratio,
       s.n_dead_tup AS dead_rows,
       s.n_dead_tup::float8 / nullif(s.n_live_tup + s.n_dead_tup, 0) AS dead_ratio,
       s.n_mod_since_analyze AS modified_since_analyze,
       s.last_vacuum,
       s.last_autovacuum,
       s.last_analyze,
       s.last_autoanalyze,
       NULL::timestamptz AS last_seq_scan
FROM pg_stat_user_tables s
ORDER BY pg_total_relation_size(s.relid) DESC, s.schemaname, s.relname
LIMIT %(limit)s::bigint

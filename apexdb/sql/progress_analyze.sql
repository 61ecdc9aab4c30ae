-- Live progress of the ANALYZE run by backend %(pid)s (every one when it is NULL; pg_stat_progress_analyze)
SELECT p.pid, p.relid::bigint AS relid, p.phase,
       p.sample_blks_total, p.sample_blks_scanned,
       p.ext_stats_total, p.ext_stats_computed,
       p.child_tables_total, p.child_tables_done,
       p.current_child_table_relid::bigint AS current_child_table_relid
FROM pg_stat_progress_analyze p
WHERE (%(pid)s::int IS NULL OR p.pid = %(pid)s::int)

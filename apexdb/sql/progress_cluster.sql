-- Live progress of the CLUSTER or VACUUM FULL run by backend %(pid)s (every one when it is NULL; pg_stat_progress_cluster)
SELECT p.pid, p.relid::bigint AS relid, p.command, p.phase,
       p.heap_blks_total, p.heap_blks_scanned,
       p.heap_tuples_scanned, p.heap_tuples_written, p.index_rebuild_count
FROM pg_stat_progress_cluster p
WHERE (%(pid)s::int IS NULL OR p.pid = %(pid)s::int)

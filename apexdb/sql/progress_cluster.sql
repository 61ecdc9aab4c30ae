-- Live progress of the CLUSTER or VACUUM FULL run by backend %(pid)s (every one when it is NULL; pg_stat_progress_cluster)
SELECT p.pid, p.datname AS database, p.relid::bigint AS relid,
       coalesce(quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                CASE WHEN p.relid <> 0 THEN 'oid ' || p.relid || CASE WHEN p.datname = current_database() THEN ' (uncommitted)' ELSE ' in ' || p.datname END END) AS relation,
       p.command, p.phase,
       p.heap_blks_total, p.heap_blks_scanned,
       p.heap_tuples_scanned, p.heap_tuples_written, p.index_rebuild_count,
       -- who runs it, since when (clock_timestamp: a --watch look is not frozen at its transaction's start)
       a.usename AS role, a.application_name AS application, a.client_addr::text AS client,
       coalesce(a.query_start, a.backend_start) AS query_start,
       extract(epoch FROM clock_timestamp() - coalesce(a.query_start, a.backend_start))::float8 AS elapsed_s,
       a.wait_event_type, a.wait_event, a.state, a.query
FROM pg_stat_progress_cluster p
LEFT JOIN pg_stat_activity a ON a.pid = p.pid
-- names resolve only in this database: another database's relid (or one not committed yet) is shown as its oid
LEFT JOIN pg_class c ON c.oid = p.relid AND p.datname = current_database()
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (%(pid)s::int IS NULL OR p.pid = %(pid)s::int)
ORDER BY a.query_start NULLS LAST, p.pid

-- Live progress of the base backup streamed by WAL sender %(pid)s (every one when it is NULL; pg_stat_progress_basebackup)
SELECT p.pid, NULL::text AS database, NULL::bigint AS relid, NULL::text AS relation,
       p.phase,
       p.backup_total, p.backup_streamed,
       p.tablespaces_total, p.tablespaces_streamed,
       -- who runs it, since when (clock_timestamp: a --watch look is not frozen at its transaction's start)
       a.usename AS role, a.application_name AS application, a.client_addr::text AS client,
       coalesce(a.query_start, a.backend_start) AS query_start,
       extract(epoch FROM clock_timestamp() - coalesce(a.query_start, a.backend_start))::float8 AS elapsed_s,
       a.wait_event_type, a.wait_event, a.state, a.query
FROM pg_stat_progress_basebackup p
LEFT JOIN pg_stat_activity a ON a.pid = p.pid
WHERE (%(pid)s::int IS NULL OR p.pid = %(pid)s::int)
ORDER BY a.query_start NULLS LAST, p.pid

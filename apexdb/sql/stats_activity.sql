-- Client sessions that are not idle (every one with include_idle, and those whose state this role cannot see): waits, blockers, durations
SELECT a.pid,
       a.usename AS role,
       a.datname AS database,
       a.application_name AS application,
       a.client_addr::text AS client,
       a.state,
       a.wait_event_type,
       a.wait_event,
       extract(epoch FROM now() - a.query_start)::float8 AS query_s,
       extract(epoch FROM now() - a.xact_start)::float8 AS transaction_s,
       extract(epoch FROM now() - a.state_change)::float8 AS state_s,
       pg_blocking_pids(a.pid) AS blocked_by,
       a.query,
       a.backend_type IS NOT NULL AS visible
FROM pg_stat_activity a
-- without pg_read_all_stats, other roles' sessions show only pid, database and role: count them as hidden
WHERE (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datname IS NOT NULL))
  AND a.pid <> pg_backend_pid()
  AND (%(include_idle)s OR a.state IS DISTINCT FROM 'idle')
ORDER BY a.backend_type IS NULL, a.xact_start NULLS LAST, a.pid

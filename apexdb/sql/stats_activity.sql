-- Client sessions that are not idle (or whose state this role cannot see): waits, blockers, durations
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
       a.state IS NOT NULL AS visible
FROM pg_stat_activity a
WHERE a.backend_type = 'client backend'
  AND a.pid <> pg_backend_pid()
  AND a.state IS DISTINCT FROM 'idle'
ORDER BY a.state IS NULL, a.xact_start NULLS LAST, a.pid

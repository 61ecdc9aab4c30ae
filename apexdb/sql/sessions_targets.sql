-- Sessions a cancel/terminate would hit (the pids given, the client sessions the filters select, or both), and whether this role may signal each
SELECT a.pid,
       a.usename AS role,
       a.datname AS database,
       a.application_name AS application,
       a.client_addr::text AS client,
       a.state,
       a.backend_type,
       extract(epoch FROM now() - a.query_start)::float8 AS query_s,
       extract(epoch FROM now() - a.state_change)::float8 AS state_s,
       extract(epoch FROM now() - a.xact_start)::float8 AS transaction_s,
       a.query,
       a.pid = pg_backend_pid() AS own,
       coalesce(r.rolsuper, false) AS superuser_owned,
       -- PostgreSQL's own rule (pg_signal_backend): a superuser's backend only for a superuser; otherwise
       -- the privileges of the session's role, or of pg_signal_backend
       CASE WHEN me.rolsuper THEN true
            WHEN a.usesysid IS NULL OR r.rolsuper THEN false
            ELSE pg_has_role(a.usesysid, 'USAGE') OR pg_has_role('pg_signal_backend', 'USAGE')
       END AS may_signal,
       current_user AS me
FROM pg_stat_activity a
LEFT JOIN pg_roles r ON r.oid = a.usesysid
CROSS JOIN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) me
WHERE (%(pids)s::int[] IS NULL OR a.pid = ANY (%(pids)s::int[]))
  AND (%(filtered)s::boolean IS NOT TRUE OR (
        a.backend_type = 'client backend'
    AND (%(user)s::text IS NULL OR a.usename = %(user)s::text)
    AND (%(database)s::text IS NULL OR a.datname = %(database)s::text)
    AND (%(application)s::text IS NULL OR a.application_name = %(application)s::text)
    AND (%(idle_in_transaction_s)s::float8 IS NULL OR (
             a.state IN ('idle in transaction', 'idle in transaction (aborted)')
         AND now() - a.state_change > make_interval(secs => %(idle_in_transaction_s)s::float8)))
    AND (%(running_s)s::float8 IS NULL OR (
             a.state = 'active' AND now() - a.query_start > make_interval(secs => %(running_s)s::float8)))
    AND (%(blocking)s::boolean IS NOT TRUE OR EXISTS (
             SELECT 1 FROM pg_stat_activity b WHERE a.pid = ANY (pg_blocking_pids(b.pid))))))
ORDER BY a.xact_start NULLS LAST, a.pid

-- Sessions holding or waiting for locks on relation %(relid)s (other than this one): who a lock timeout waited for
SELECT l.pid, l.mode, l.granted, a.state, a.application_name,
       extract(epoch FROM now() - a.xact_start)::float8 AS xact_seconds,
       left(regexp_replace(a.query, '\s+', ' ', 'g'), 120) AS query
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.relation = %(relid)s::oid AND l.pid <> pg_backend_pid() AND l.granted
ORDER BY a.xact_start NULLS LAST

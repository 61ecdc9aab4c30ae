-- Sessions of this database in a transaction: pid, role, application, ages, xmin age and query (hidden fields are NULL without pg_read_all_stats)
SELECT a.pid,
       a.usename AS role,
       a.application_name AS application,
       a.client_addr::text AS client,
       a.state,
       extract(epoch FROM now() - a.xact_start)::float8 AS xact_age_s,
       extract(epoch FROM now() - a.state_change)::float8 AS state_age_s,
       age(a.backend_xmin)::bigint AS xmin_age,
       age(a.backend_xid)::bigint AS xid_age,
       left(regexp_replace(a.query, '\s+', ' ', 'g'), 200) AS query,
       a.state IS NULL AS hidden
FROM pg_stat_activity a
WHERE (a.backend_type = 'client backend' OR a.backend_type IS NULL)  -- NULL: another role's, hidden
  AND a.pid <> pg_backend_pid()
  AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND (a.xact_start IS NOT NULL OR a.state IS NULL)
ORDER BY a.xact_start NULLS LAST

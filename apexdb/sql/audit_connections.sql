-- Client sessions against max_connections and the reserved slots, by state, role, database and application
SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       coalesce(current_setting('reserved_connections', true), '0')::int AS reserved,
       (SELECT count(*) FROM pg_stat_activity WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND datid IS NOT NULL)))::int AS total,
       (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
            SELECT coalesce(state, 'hidden') AS k, count(*) AS n FROM pg_stat_activity
            WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND datid IS NOT NULL)) GROUP BY 1) x) AS by_state,
       (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
            SELECT coalesce(usename, '?') AS k, count(*) AS n FROM pg_stat_activity
            WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND datid IS NOT NULL)) GROUP BY 1) x) AS by_role,
       (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
            SELECT coalesce(datname, '?') AS k, count(*) AS n FROM pg_stat_activity
            WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND datid IS NOT NULL)) GROUP BY 1) x) AS by_database,
       (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
            SELECT coalesce(nullif(application_name, ''), '(none)') AS k, count(*) AS n FROM pg_stat_activity
            WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND datid IS NOT NULL)) GROUP BY 1) x) AS by_application

-- Audit context: database, statistics age, this role's reach, and the settings the checks compare against
SELECT current_database() AS database,
       d.oid::bigint AS database_oid,
       s.stats_reset,
       extract(epoch FROM now() - s.stats_reset)::float8 AS stats_age_s,
       s.temp_files,
       s.temp_bytes,
       pg_database_size(d.oid) AS database_size,
       current_user AS role,
       r.rolsuper AS is_superuser,
       pg_has_role(current_user, 'pg_monitor', 'USAGE') AS has_pg_monitor,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS reads_all_stats,
       current_setting('block_size')::int AS block_size,
       current_setting('server_version_num')::int AS server_version_num
FROM pg_database d
JOIN pg_roles r ON r.rolname = current_user
LEFT JOIN pg_stat_database s ON s.datid = d.oid
WHERE d.datname = current_database()

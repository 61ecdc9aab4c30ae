-- Temporary files this database has written since its statistics were reset (sorts and hashes that outgrew work_mem)
SELECT current_database() AS database,
       pg_database_size(current_database()) AS database_size,
       s.temp_files,
       s.temp_bytes,
       s.stats_reset
FROM pg_stat_database s
WHERE s.datname = current_database()

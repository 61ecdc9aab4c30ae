-- Whether pg_stat_statements answers (it refuses when not in shared_preload_libraries)
SELECT count(*) AS rows FROM (SELECT 1 FROM {pgss} LIMIT 1) one

-- Memory and vector settings with their bytes, defaults and sources, and the sizes they are judged against
SELECT s.name,
       current_setting(s.name) AS value,
       s.setting,
       s.unit,
       CASE s.unit WHEN '8kB' THEN s.setting::bigint * 8192
                   WHEN 'kB' THEN s.setting::bigint * 1024
                   WHEN 'B' THEN s.setting::bigint
                   WHEN 'MB' THEN s.setting::bigint * 1024 * 1024 END AS bytes,
       s.boot_val AS default_value,
       s.setting = s.boot_val AS at_default,
       s.source
FROM pg_settings s
WHERE s.name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'autovacuum_work_mem', 'max_connections',
                 'hnsw.ef_search', 'ivfflat.probes', 'shared_preload_libraries')
ORDER BY s.name

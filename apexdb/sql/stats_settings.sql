-- Memory and vector settings with their bytes (sizes) for stats settings' recommendations
SELECT name,
       current_setting(name) AS value,
       CASE unit WHEN '8kB' THEN setting::bigint * 8192
                 WHEN 'kB' THEN setting::bigint * 1024
                 WHEN 'B' THEN setting::bigint
                 WHEN 'MB' THEN setting::bigint * 1024 * 1024 END AS bytes,
       source
FROM pg_settings
WHERE name IN ('shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'max_connections',
               'max_parallel_maintenance_workers', 'hash_mem_multiplier', 'hnsw.ef_search',
               'hnsw.iterative_scan', 'ivfflat.probes')

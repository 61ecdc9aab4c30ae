-- The settings that matter for vector workloads, with their bytes where they are sizes
SELECT name,
       setting,
       unit,
       current_setting(name) AS value,
       CASE unit WHEN '8kB' THEN setting::bigint * 8192
                 WHEN 'kB' THEN setting::bigint * 1024
                 WHEN 'B' THEN setting::bigint
                 WHEN 'MB' THEN setting::bigint * 1024 * 1024 END AS bytes,
       source,
       boot_val AS default_value
FROM pg_settings
WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'effective_cache_size',
               'max_parallel_maintenance_workers', 'max_parallel_workers', 'max_worker_processes',
               'max_connections', 'hnsw.ef_search', 'hnsw.iterative_scan', 'hnsw.max_scan_tuples',
               'ivfflat.probes', 'ivfflat.iterative_scan', 'jit', 'random_page_cost')
ORDER BY array_position(ARRAY['shared_buffers', 'work_mem', 'maintenance_work_mem', 'effective_cache_size',
               'max_parallel_maintenance_workers', 'max_parallel_workers', 'max_worker_processes',
               'max_connections', 'hnsw.ef_search', 'hnsw.iterative_scan', 'hnsw.max_scan_tuples',
               'ivfflat.probes', 'ivfflat.iterative_scan', 'jit', 'random_page_cost'], name::text)

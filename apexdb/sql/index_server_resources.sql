-- Settings that bound an index build's memory and parallelism, in bytes and counts
SELECT current_setting('maintenance_work_mem') AS maintenance_work_mem,
       pg_size_bytes(current_setting('maintenance_work_mem')) AS maintenance_work_mem_bytes,
       pg_size_bytes(current_setting('shared_buffers')) AS shared_buffers_bytes,
       current_setting('max_parallel_maintenance_workers')::int AS max_parallel_maintenance_workers,
       current_setting('max_parallel_workers')::int AS max_parallel_workers,
       current_setting('max_worker_processes')::int AS max_worker_processes,
       current_setting('dynamic_shared_memory_type') AS dynamic_shared_memory_type,
       (SELECT reset_val FROM pg_settings WHERE name = 'maintenance_work_mem')::bigint * 1024 AS maintenance_work_mem_reset_bytes

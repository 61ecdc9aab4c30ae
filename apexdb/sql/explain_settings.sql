-- The settings explain's findings weigh a plan against (memory, JIT, vector search)
SELECT current_setting('server_version_num')::int AS server_version_num,
       pg_size_bytes(current_setting('work_mem')) AS work_mem_bytes,
       current_setting('hash_mem_multiplier')::float8 AS hash_mem_multiplier,
       current_setting('jit') AS jit,
       current_setting('jit_above_cost')::float8 AS jit_above_cost,
       current_setting('max_parallel_workers')::int AS max_parallel_workers,
       current_setting('max_worker_processes')::int AS max_worker_processes,
       current_setting('hnsw.ef_search', true) AS hnsw_ef_search,
       current_setting('hnsw.iterative_scan', true) AS hnsw_iterative_scan,
       current_setting('ivfflat.probes', true) AS ivfflat_probes

-- The settings compared across cluster members: vector search, memory, and the synchronous standbys
SELECT n.name, current_setting(n.name, true) AS value
FROM unnest(ARRAY['hnsw.ef_search', 'hnsw.iterative_scan', 'ivfflat.probes', 'ivfflat.iterative_scan',
                  'work_mem', 'synchronous_standby_names']) WITH ORDINALITY n(name, pos)
ORDER BY n.pos

-- Live progress of the VACUUM run by backend %(pid)s (every one when it is NULL; PostgreSQL 13-16 column names)
SELECT p.pid, p.relid::bigint AS relid, p.phase,
       p.heap_blks_total, p.heap_blks_scanned, p.heap_blks_vacuumed,
       p.index_vacuum_count,
       p.num_dead_tuples AS dead_items, p.max_dead_tuples AS max_dead_items,
       NULL::bigint AS dead_item_bytes, NULL::bigint AS max_dead_item_bytes,
       NULL::bigint AS indexes_total, NULL::bigint AS indexes_processed
FROM pg_stat_progress_vacuum p
WHERE (%(pid)s::int IS NULL OR p.pid = %(pid)s::int)

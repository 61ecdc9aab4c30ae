-- Live progress of the VACUUM run by backend %(pid)s (every one when it is NULL; PostgreSQL 17 renamed the dead tuple counters)
-- requires: server >= 17
SELECT p.pid, p.relid::bigint AS relid, p.phase,
       p.heap_blks_total, p.heap_blks_scanned, p.heap_blks_vacuumed,
       p.index_vacuum_count,
       p.num_dead_item_ids AS dead_items, NULL::bigint AS max_dead_items,
       p.dead_tuple_bytes AS dead_item_bytes, p.max_dead_tuple_bytes AS max_dead_item_bytes,
       p.indexes_total, p.indexes_processed
FROM pg_stat_progress_vacuum p
WHERE (%(pid)s::int IS NULL OR p.pid = %(pid)s::int)

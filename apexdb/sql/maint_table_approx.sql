-- Approximate size of tables %(oids)s with their TOAST and indexes, from pg_class (no lock taken, so a locked table cannot make planning wait)
SELECT c.oid::bigint AS oid,
       (c.relpages::bigint + coalesce(t.relpages, 0)) * current_setting('block_size')::bigint AS table_bytes,
       coalesce((SELECT sum(ic.relpages) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                 WHERE i.indrelid = c.oid), 0)::bigint * current_setting('block_size')::bigint AS index_bytes
FROM pg_class c
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.oid = ANY (%(oids)s::oid[])

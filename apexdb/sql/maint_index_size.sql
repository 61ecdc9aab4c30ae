-- The exact on-disk size and validity of index %(schema)s.%(name)s, looked up by name (REINDEX CONCURRENTLY gives it a new oid)
SELECT ic.oid::bigint AS oid, pg_relation_size(ic.oid) AS size_bytes, i.indisvalid AS valid
FROM pg_class ic
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_index i ON i.indexrelid = ic.oid
WHERE n.nspname = %(schema)s AND ic.relname = %(name)s

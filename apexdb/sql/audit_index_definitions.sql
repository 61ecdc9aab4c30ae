-- The CREATE INDEX statements of the given indexes (fetched only for the indexes a finding names)
SELECT i.indexrelid::bigint AS index_oid, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
WHERE i.indexrelid = ANY (%(oids)s::bigint[]::oid[])

-- Indexes of one table: method, definition, size, scans, and whether valid, unique or a primary key
SELECT ic.relname AS name, am.amname AS method, pg_get_indexdef(i.indexrelid) AS definition,
       regexp_replace(pg_get_indexdef(i.indexrelid), '^.*? USING \w+ ', '') AS key,
       pg_relation_size(i.indexrelid) AS size_bytes, coalesce(s.idx_scan, 0) AS scans,
       i.indisunique AS unique, i.indisprimary AS primary, i.indisvalid AS valid
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
WHERE i.indrelid = %(table_oid)s
ORDER BY i.indisprimary DESC, ic.relname

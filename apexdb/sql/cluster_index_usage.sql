-- Index usage on this member (scans, tuples read), by index OID: physical replicas share the primary's catalog
SELECT s.indexrelid::bigint AS index_oid,
       quote_ident(s.schemaname) || '.' || quote_ident(s.indexrelname) AS index_qname,
       s.idx_scan AS scans,
       s.idx_tup_read AS tuples_read,
       NULL::timestamptz AS last_scan
FROM pg_stat_all_indexes s
WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema') AND s.schemaname !~ '^pg_(toast|temp_)'

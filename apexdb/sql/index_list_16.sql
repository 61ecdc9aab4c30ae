-- Every index (of one table, or only HNSW/IVFFlat ones) with method, opclass, options, size, scans and state
-- requires: server >= 16
SELECT n.nspname AS schema,
       ic.relname AS name,
       c.relname AS table,
       c.oid::bigint AS table_oid,
       ic.oid::bigint AS index_oid,
       am.amname AS method,
       array(SELECT pg_get_indexdef(ic.oid, k, true) FROM generate_series(1, i.indnkeyatts) k) AS keys,
       array(SELECT opc.opcname::text FROM unnest(i.indclass::oid[]) WITH ORDINALITY u(opc_oid, ord)
             JOIN pg_opclass opc ON opc.oid = u.opc_oid ORDER BY u.ord) AS opclasses,
       coalesce(ic.reloptions, '{}') AS options,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       i.indisunique AS is_unique,
       i.indisprimary AS is_primary,
       i.indisvalid AS valid,
       i.indisready AS ready,
       pg_relation_size(ic.oid) AS size_bytes,
       s.idx_scan AS scans,
       s.last_idx_scan AS last_scan,
       (SELECT d.stats_reset FROM pg_stat_database d WHERE d.datname = current_database()) AS stats_reset,
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END AS table_rows,
       pg_get_indexdef(ic.oid) AS definition
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
  AND (%(table_oid)s::bigint IS NULL OR c.oid = %(table_oid)s::bigint)
  AND (NOT %(vector_only)s::bool OR am.amname IN ('hnsw', 'ivfflat'))
ORDER BY n.nspname, c.relname, ic.relname

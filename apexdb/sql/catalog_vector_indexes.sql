-- HNSW and IVFFlat indexes with their column (or expression), opclass, options, size and state
SELECT n.nspname AS schema,
       ic.relname AS name,
       c.relname AS table,
       c.oid::bigint AS table_oid,
       ic.oid::bigint AS index_oid,
       am.amname AS method,
       opc.opcname AS opclass,
       CASE WHEN i.indkey[0] = 0 THEN NULL ELSE a.attname END AS column,
       CASE WHEN i.indkey[0] = 0 THEN pg_get_indexdef(ic.oid, 1, true) END AS expression,
       coalesce(ic.reloptions, '{}') AS options,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       i.indisvalid AS valid,
       i.indisready AS ready,
       pg_relation_size(ic.oid) AS size_bytes,
       greatest(c.reltuples, 0)::bigint AS table_rows,
       pg_get_indexdef(ic.oid) AS definition
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
JOIN pg_opclass opc ON opc.oid = i.indclass[0]
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
WHERE am.amname IN ('hnsw', 'ivfflat')
  AND (%(table_oid)s::bigint IS NULL OR c.oid = %(table_oid)s::bigint)
ORDER BY n.nspname, c.relname, ic.relname

-- Every user index (definitions apart, see audit_index_definitions) with its keys, opclasses, predicate, size, scans, constraint and build state
SELECT i.indexrelid::bigint AS index_oid,
       i.indrelid::bigint AS table_oid,
       n.nspname AS schema,
       c.relname AS table,
       ic.relname AS index,
       format('%%I.%%I', n.nspname, c.relname) AS table_qname,
       format('%%I.%%I', n.nspname, ic.relname) AS index_qname,
       ic.relkind AS index_kind,
       ic.relispartition AS is_partition,
       am.amname AS method,
       i.indisunique AS is_unique,
       i.indisprimary AS is_primary,
       i.indisvalid AS is_valid,
       i.indisready AS is_ready,
       i.indnkeyatts AS key_count,
       string_to_array(i.indkey::text, ' ')::int[] AS attnums,
       ARRAY(SELECT CASE WHEN k.attnum <> 0 THEN quote_ident(a.attname)
                         WHEN NOT lk.locked THEN pg_get_indexdef(i.indexrelid, k.pos::int, true) END
             FROM unnest(string_to_array(i.indkey::text, ' ')::int2[]) WITH ORDINALITY k(attnum, pos)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             ORDER BY k.pos) AS column_defs,
       ARRAY(SELECT u.opc::bigint FROM unnest(i.indclass::oid[]) WITH ORDINALITY u(opc, k) ORDER BY u.k) AS opclass_oids,
       CASE WHEN am.amname IN ('hnsw', 'ivfflat')  -- names are needed for the vector metric only
            THEN ARRAY(SELECT o.opcname::text FROM unnest(i.indclass::oid[]) WITH ORDINALITY u(opc, k)
                       JOIN pg_opclass o ON o.oid = u.opc ORDER BY u.k) END AS opclasses,
       ARRAY(SELECT u.coll::bigint FROM unnest(i.indcollation::oid[]) WITH ORDINALITY u(coll, k) ORDER BY u.k) AS collations,
       string_to_array(i.indoption::text, ' ')::int[] AS options_per_column,
       CASE WHEN am.amname IN ('hnsw', 'ivfflat') THEN
       ARRAY(SELECT d.refobjsubid::int FROM pg_depend d
             WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid
               AND d.refclassid = 'pg_class'::regclass AND d.refobjid = i.indrelid AND d.refobjsubid > 0
             UNION SELECT k::int FROM unnest(string_to_array(i.indkey::text, ' ')::int[]) k WHERE k > 0)
       END AS table_attnums,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       coalesce(ic.reloptions, '{}') AS reloptions,
       con.conname AS constraint_name,
       con.contype::text AS constraint_type,
       CASE WHEN NOT lk.locked THEN pg_relation_size(i.indexrelid) END AS size_bytes,
       ic.relpages::bigint * current_setting('block_size')::bigint AS catalog_size_bytes,
       c.reltuples::bigint AS table_rows,
       coalesce(st.n_live_tup, 0) AS live_rows,
       si.idx_scan AS scans,
       EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
               WHERE p.index_relid = i.indexrelid OR (p.relid = i.indrelid AND coalesce(p.index_relid, 0) = 0))
           AS being_built,
       lk.locked
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
-- pg_get_indexdef (expressions) and pg_relation_size take ACCESS SHARE locks: never call them on what others lock
CROSS JOIN LATERAL (SELECT i.indexrelid = ANY (%(locked)s::bigint[]::oid[])
                           OR i.indrelid = ANY (%(locked)s::bigint[]::oid[]) AS locked) lk
LEFT JOIN LATERAL (SELECT conname, contype FROM pg_constraint
                   WHERE conindid = i.indexrelid AND conrelid = i.indrelid ORDER BY contype LIMIT 1) con ON true
LEFT JOIN pg_stat_all_indexes si ON si.indexrelid = i.indexrelid
LEFT JOIN pg_stat_all_tables st ON st.relid = i.indrelid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY n.nspname, c.relname, ic.relname

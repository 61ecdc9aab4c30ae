-- Foreign keys whose columns do not lead any valid index (non-partial, or WHERE col IS NOT NULL) of their table
SELECT con.oid::bigint AS constraint_oid,
       con.conname AS constraint_name,
       n.nspname AS schema,
       c.relname AS table,
       format('%I.%I', n.nspname, c.relname) AS table_qname,
       con.confrelid::regclass::text AS referenced,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.pos) AS columns,
       c.reltuples::bigint AS table_rows,
       coalesce(st.n_live_tup, 0) AS live_rows,
       c.relkind = 'p' AS partitioned
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables st ON st.relid = c.oid
WHERE con.contype = 'f'
  AND con.conparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = con.conrelid
        AND i.indisvalid
        -- a partial index WHERE col IS NOT NULL (what a mostly-NULL fix builds) serves the key's lookups too
        AND (i.indpred IS NULL
             OR (cardinality(con.conkey) = 1
                 AND pg_get_expr(i.indpred, i.indrelid, true) = format('%I IS NOT NULL',
                     (SELECT attname FROM pg_attribute WHERE attrelid = con.conrelid AND attnum = con.conkey[1]))))
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)] @> con.conkey
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)] <@ con.conkey)
ORDER BY n.nspname, c.relname, con.conname

-- User tables (not partitions, not extension members) with their primary key, row estimate and, when asked, what lacks a COMMENT
SELECT c.oid::bigint AS table_oid,
       n.nspname AS schema,
       c.relname AS table,
       format('%%I.%%I', n.nspname, c.relname) AS table_qname,
       c.relkind = 'p' AS partitioned,
       greatest(c.reltuples, 0)::bigint AS table_rows,
       EXISTS (SELECT 1 FROM pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p') AS has_primary_key,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid
                 AND i.indpred IS NULL AND i.indexprs IS NULL
                 AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                                 AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull)) AS has_unique_not_null,
       CASE WHEN %(comments)s THEN obj_description(c.oid, 'pg_class') IS NOT NULL END AS has_comment,
       CASE WHEN %(comments)s THEN
           ARRAY(SELECT a.attname::text FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND col_description(c.oid, a.attnum) IS NULL ORDER BY a.attnum) END AS uncommented_columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY n.nspname, c.relname

-- Valid B-tree indexes of the given tables with their key and INCLUDE columns (NULL for an expression), partial or not
SELECT i.indrelid::bigint AS table_oid,
       ic.relname AS index,
       ARRAY(SELECT a.attname::text
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, pos)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.pos <= i.indnkeyatts ORDER BY k.pos) AS keys,
       ARRAY(SELECT a.attname::text
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.pos > i.indnkeyatts ORDER BY k.pos) AS include,
       i.indpred IS NOT NULL AS partial
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE i.indrelid = ANY (%(table_oids)s::bigint[]::oid[])
  AND am.amname = 'btree' AND i.indisvalid

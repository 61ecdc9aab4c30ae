-- Per index: planner statistics of its key columns (width, NULL fraction) as far as this role may read them
SELECT i.indexrelid::bigint AS index_oid,
       has_any_column_privilege(i.indrelid, 'SELECT') AS can_read_stats,
       count(*) AS key_columns,
       count(st.avg_width) AS columns_with_stats,
       sum(st.avg_width) AS key_width,
       max(st.null_frac) FILTER (WHERE k.pos = 1) AS leading_null_frac,
       min(a.attname::text) FILTER (WHERE k.pos = 1) AS leading_column,
       coalesce(max(st.null_frac), 0) AS max_null_frac,
       c.reltuples::float8 AS reltuples,
       bool_or(k.attnum = 0) AS has_expressions,
       coalesce((SELECT option_value::int FROM pg_options_to_table(ic.reloptions)
                 WHERE option_name = 'fillfactor'), 90) AS fillfactor,
       ic.relpages::bigint AS catalog_pages
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL unnest(string_to_array(i.indkey::text, ' ')::int2[]) WITH ORDINALITY k(attnum, pos)
LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
LEFT JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = a.attname
                     AND NOT st.inherited
WHERE am.amname = 'btree'
  AND k.pos <= i.indnkeyatts
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
GROUP BY i.indexrelid, i.indrelid, ic.reloptions, ic.relpages, c.reltuples

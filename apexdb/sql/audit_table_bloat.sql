-- Tables of at least min_pages pages with what a fresh copy needs per row, from reltuples and pg_stats widths (no locks taken)
SELECT c.oid::bigint AS table_oid,
       n.nspname AS schema,
       c.relname AS table,
       format('%%I.%%I', n.nspname, c.relname) AS table_qname,
       c.relpages::bigint AS pages,
       c.reltuples::float8 AS reltuples,
       coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions)
                 WHERE option_name = 'fillfactor'), 100) AS fillfactor,
       c.reltoastrelid::bigint AS toast_oid,
       coalesce(tc.relpages, 0)::bigint AS toast_pages,
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::int
           AS columns,
       coalesce(st.columns_with_stats, 0)::int AS columns_with_stats,
       coalesce(st.data_width, 0)::float8 AS data_width,
       coalesce(st.has_nulls, false) AS has_nulls,
       has_table_privilege(c.oid, 'SELECT') AS can_read_stats
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid
LEFT JOIN LATERAL (SELECT count(*) AS columns_with_stats,
                          sum((1 - s.null_frac) * s.avg_width) AS data_width,
                          bool_or(s.null_frac > 0) AS has_nulls
                   FROM pg_stats s
                   WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited) st ON true
WHERE c.relkind IN ('r', 'm')
  AND (c.relpages >= %(min_pages)s OR coalesce(tc.relpages, 0) >= %(min_pages)s)
  AND c.reltuples >= 0
  AND NOT c.oid = ANY (%(locked)s::bigint[]::oid[])
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY c.relpages DESC

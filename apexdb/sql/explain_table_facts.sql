-- Size, statistics freshness and indexed leading columns of one table a plan scans
SELECT c.oid::bigint AS oid,
       n.nspname AS schema,
       c.relname AS name,
       greatest(c.reltuples, 0)::bigint AS estimated_rows,
       s.n_live_tup AS live_rows,
       s.n_mod_since_analyze AS modified_since_analyze,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyzed,
       coalesce((SELECT array_agg(DISTINCT a.attname::text)
                 FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                 WHERE i.indrelid = c.oid AND i.indisvalid AND i.indkey[0] <> 0), '{}') AS indexed_leading_columns,
       (SELECT jsonb_object_agg(a.attname, format_type(a.atttypid, NULL))
        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS column_types
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.oid = %(table_oid)s::bigint::oid

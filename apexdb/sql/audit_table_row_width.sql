-- Average stored width of a table's rows from a sample of its pages (for tables never analyzed, so pg_stats has no widths)
SELECT avg(pg_column_size(s.*))::float8 AS row_width, count(*)::bigint AS sampled
FROM {table} AS s TABLESAMPLE SYSTEM (coalesce(%(percent)s::float8, 100))

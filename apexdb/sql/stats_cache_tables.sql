-- Buffer cache hit ratios per table (heap and index), busiest tables first
SELECT schemaname AS schema,
       relname AS table,
       heap_blks_hit + heap_blks_read AS heap_blocks,
       heap_blks_hit::float8 / nullif(heap_blks_hit + heap_blks_read, 0) AS heap_hit_ratio,
       coalesce(idx_blks_hit, 0) + coalesce(idx_blks_read, 0) AS index_blocks,
       idx_blks_hit::float8 / nullif(idx_blks_hit + idx_blks_read, 0) AS index_hit_ratio
FROM pg_statio_user_tables
ORDER BY heap_blks_hit + heap_blks_read + coalesce(idx_blks_hit, 0) + coalesce(idx_blks_read, 0) DESC,
         schemaname, relname
LIMIT %(limit)s::bigint

-- Buffer cache hit ratios over all user tables: heap, index and TOAST blocks
SELECT sum(heap_blks_hit) AS heap_hit,
       sum(heap_blks_read) AS heap_read,
       sum(heap_blks_hit)::float8 / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) AS heap_hit_ratio,
       sum(idx_blks_hit) AS index_hit,
       sum(idx_blks_read) AS index_read,
       sum(idx_blks_hit)::float8 / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0) AS index_hit_ratio,
       sum(coalesce(toast_blks_hit, 0))::float8
           / nullif(sum(coalesce(toast_blks_hit, 0)) + sum(coalesce(toast_blks_read, 0)), 0) AS toast_hit_ratio
FROM pg_statio_user_tables

-- Statements from pg_stat_statements 1.11+ (shared_blk_* time names), for this database, sorted and limited
-- requires: pg_stat_statements >= 1.11
SELECT s.queryid,
       r.rolname AS role,
       s.query,
       s.calls,
       s.total_exec_time AS total_ms,
       s.mean_exec_time AS mean_ms,
       s.max_exec_time AS max_ms,
       s.rows,
       s.shared_blks_hit,
       s.shared_blks_read,
       s.shared_blks_hit::float8 / nullif(s.shared_blks_hit + s.shared_blks_read, 0) AS hit_ratio,
       s.temp_blks_read + s.temp_blks_written AS temp_blks,
       s.shared_blk_read_time + s.shared_blk_write_time + s.local_blk_read_time + s.local_blk_write_time
           + s.temp_blk_read_time + s.temp_blk_write_time AS io_ms
FROM {view} s
LEFT JOIN pg_roles r ON r.oid = s.userid
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND (%(all_users)s::boolean OR s.userid = (SELECT oid FROM pg_roles WHERE rolname = current_user))
  AND s.calls >= %(min_calls)s::bigint
ORDER BY CASE %(sort)s::text
             WHEN 'total' THEN s.total_exec_time
             WHEN 'mean' THEN s.mean_exec_time
             WHEN 'calls' THEN s.calls::float8
             WHEN 'rows' THEN s.rows::float8
             WHEN 'io' THEN s.shared_blk_read_time + s.shared_blk_write_time + s.local_blk_read_time
                            + s.local_blk_write_time + s.temp_blk_read_time + s.temp_blk_write_time
             WHEN 'temp' THEN (s.temp_blks_read + s.temp_blks_written)::float8
         END DESC NULLS LAST,
         CASE WHEN %(sort)s::text = 'io' THEN s.shared_blks_read END DESC NULLS LAST,
         s.total_exec_time DESC
LIMIT %(limit)s::bigint

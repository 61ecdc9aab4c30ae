-- A server's statements in this database from pg_stat_statements: cumulative counters per role and queryid
SELECT s.userid,
       s.queryid,
       sum(s.calls)::bigint AS calls,
       sum(s.total_exec_time)::float8 AS total_ms,
       sum(s.rows)::bigint AS rows,
       sum(s.shared_blks_hit)::bigint AS blks_hit,
       sum(s.shared_blks_read)::bigint AS blks_read,
       min(s.query) AS query
FROM {pgss} s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.queryid IS NOT NULL
GROUP BY s.userid, s.queryid

-- How many statements the listing covers, their total time, and how many hide their text from this role
SELECT count(*) AS statements,
       coalesce(sum(s.total_exec_time), 0) AS total_ms,
       count(*) FILTER (WHERE s.query = '<insufficient privilege>') AS hidden
FROM {view} s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND (%(all_users)s::boolean OR s.userid = (SELECT oid FROM pg_roles WHERE rolname = current_user))
  AND s.calls >= %(min_calls)s::bigint

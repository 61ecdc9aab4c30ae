-- The backend holding apexdb's migration lock (a bigint session advisory lock) in this database
SELECT pid
FROM pg_locks
WHERE locktype = 'advisory' AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((classid::bigint << 32) | objid::bigint) = %(key)s
LIMIT 1

-- Relations in this database another session holds or waits for an ACCESS EXCLUSIVE lock on
SELECT l.relation::bigint AS oid,
       -- a table created in another session's open transaction is not in our pg_class yet: its oid then
       coalesce(CASE WHEN c.oid IS NOT NULL THEN format('%I.%I', n.nspname, c.relname) END, l.relation::text) AS name,
       l.pid,
       l.granted,
       left(a.query, 200) AS query
FROM pg_locks l
LEFT JOIN pg_class c ON c.oid = l.relation
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation'
  AND l.mode = 'AccessExclusiveLock'
  AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY l.granted DESC, name

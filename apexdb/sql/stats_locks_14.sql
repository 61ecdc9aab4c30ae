-- Locks held and awaited by other sessions, and how long each has waited (pg_locks.waitstart)
-- requires: server >= 14
WITH here AS (SELECT oid FROM pg_database WHERE datname = current_database()),
s AS (  -- every other session, with who it waits for
    SELECT a.pid, a.usename, a.datname, a.application_name, a.client_addr, a.state, a.backend_type,
           a.wait_event_type, a.wait_event, a.query, a.xact_start, a.query_start,
           pg_blocking_pids(a.pid) AS blocked_by
    FROM pg_stat_activity a
    WHERE a.pid <> pg_backend_pid()
)
SELECT l.pid,
       s.usename AS role,
       coalesce(s.datname, d.datname) AS database,
       s.application_name AS application,
       s.client_addr::text AS client,
       CASE WHEN l.pid IS NULL THEN 'prepared transaction' ELSE s.state END AS state,
       s.backend_type,
       l.locktype AS lock_type,
       l.mode,
       l.granted,
       l.fastpath,
       -- names resolve only in this database: another database's relation (or one not committed yet) is shown as its oid
       coalesce(quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                CASE WHEN l.relation IS NOT NULL THEN 'oid ' || l.relation || CASE WHEN l.database = (SELECT oid FROM here)
                    THEN ' (uncommitted)' ELSE ' in ' || coalesce(d.datname, 'a shared catalog') END END)
           AS relation,
       CASE l.locktype
           WHEN 'relation' THEN NULL
           WHEN 'extend' THEN 'extending the relation'
           WHEN 'page' THEN 'page ' || l.page
           WHEN 'tuple' THEN 'tuple (' || l.page || ',' || l.tuple || ')'
           WHEN 'transactionid' THEN 'transaction ' || l.transactionid
           WHEN 'virtualxid' THEN 'virtual transaction ' || l.virtualxid
           WHEN 'advisory' THEN 'advisory lock ' || CASE WHEN l.objsubid = 1
               THEN ((l.classid::bigint << 32) | l.objid::bigint)::text ELSE l.classid || ',' || l.objid END
           WHEN 'object' THEN coalesce(CASE WHEN l.database = 0 OR l.database = (SELECT oid FROM here)
                                            THEN pg_describe_object(l.classid, l.objid, l.objsubid) END,
                                       'object ' || l.classid || '/' || l.objid)
           ELSE l.locktype
       END AS object,
       extract(epoch FROM now() - l.waitstart)::float8 AS wait_s,
       extract(epoch FROM now() - s.xact_start)::float8 AS transaction_s,
       extract(epoch FROM now() - s.query_start)::float8 AS query_s,
       coalesce(s.blocked_by, '{}'::int[]) AS blocked_by,
       s.wait_event_type,
       s.wait_event,
       s.query
FROM pg_locks l
LEFT JOIN s ON s.pid = l.pid
LEFT JOIN pg_database d ON d.oid = l.database
LEFT JOIN pg_class c ON c.oid = l.relation AND l.database = (SELECT oid FROM here)
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (l.pid IS NULL OR l.pid <> pg_backend_pid())
  -- every transaction holds its own (virtual) transaction id lock: shown only when someone waits for it
  AND (%(include_all)s OR NOT (l.granted AND l.locktype IN ('virtualxid', 'transactionid') AND NOT EXISTS (
         SELECT 1 FROM pg_locks w
         WHERE NOT w.granted AND w.locktype = l.locktype
           AND w.virtualxid IS NOT DISTINCT FROM l.virtualxid
           AND w.transactionid IS NOT DISTINCT FROM l.transactionid)))
ORDER BY s.xact_start NULLS LAST, l.pid NULLS LAST, l.granted DESC, relation NULLS LAST, l.locktype, l.mode

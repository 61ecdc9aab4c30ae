-- Vacuum and analyze figures of the tables %(oids)s: dead tuples, last (auto)vacuum/analyze, estimate (no lock taken; sizes come from maint_table_size)
SELECT c.oid::bigint AS oid, n.nspname AS schema, c.relname AS name,
       s.n_live_tup AS live_tuples, s.n_dead_tup AS dead_tuples,
       s.n_mod_since_analyze AS modified_since_analyze,
       s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
       greatest(s.last_vacuum, s.last_autovacuum) AS last_any_vacuum,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_any_analyze,
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END AS estimated_rows,  -- -1: never counted
       c.relpages::bigint AS pages,
       age(c.relfrozenxid) AS xid_age
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.oid = ANY (%(oids)s::oid[])
ORDER BY n.nspname, c.relname

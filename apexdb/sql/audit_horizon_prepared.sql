-- Prepared (two-phase) transactions of every database: they hold the xmin horizon until COMMIT or ROLLBACK PREPARED
SELECT p.gid,
       p.owner AS role,
       p.database,
       p.database = current_database() AS is_current,
       extract(epoch FROM now() - p.prepared)::float8 AS age_s,
       age(p.transaction)::bigint AS xid_age
FROM pg_prepared_xacts p
ORDER BY p.prepared

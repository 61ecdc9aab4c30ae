-- Replication slots (physical, and logical ones of every database: all of them keep WAL): active or not, WAL status, the WAL each retains, safe size, and the xmin / catalog_xmin it holds back
SELECT s.slot_name,
       s.slot_type,
       s.plugin,
       s.database,
       s.active,
       s.active_pid,
       s.temporary,
       s.wal_status,
       s.safe_wal_size,
       s.restart_lsn IS NOT NULL AS reserves_wal,
       CASE WHEN s.restart_lsn IS NOT NULL THEN
           pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END,
                           s.restart_lsn)::bigint END AS retained_bytes,
       age(s.xmin)::bigint AS xmin_age,
       age(s.catalog_xmin)::bigint AS catalog_xmin_age
FROM pg_replication_slots s
ORDER BY s.slot_name

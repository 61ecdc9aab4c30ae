-- Replication slots: active or not, WAL they retain, and the xmin they hold back (physical slots and this database's logical ones)
SELECT s.slot_name,
       s.slot_type,
       s.database,
       s.active,
       s.active_pid,
       s.wal_status,
       s.restart_lsn IS NOT NULL AS reserves_wal,
       CASE WHEN s.restart_lsn IS NOT NULL THEN
           pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END,
                           s.restart_lsn)::bigint END AS retained_bytes,
       age(s.xmin)::bigint AS xmin_age,
       age(s.catalog_xmin)::bigint AS catalog_xmin_age
FROM pg_replication_slots s
WHERE s.slot_type = 'physical' OR s.database = current_database()
ORDER BY s.slot_name

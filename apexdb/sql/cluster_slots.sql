-- Replication slots: physical and logical, active or not, WAL status, safe size and the WAL each one retains
SELECT s.slot_name,
       s.slot_type,
       s.plugin,
       s.database,
       s.active,
       s.temporary,
       s.wal_status,
       s.safe_wal_size,
       pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END,
                       s.restart_lsn)::bigint AS retained_bytes,
       current_setting('max_slot_wal_keep_size') AS max_slot_wal_keep_size
FROM pg_replication_slots s
ORDER BY s.slot_name

-- A standby's WAL receiver (pg_stat_wal_receiver): streaming or not, from whom, when it last heard
SELECT w.status,
       w.sender_host,
       w.sender_port,
       w.slot_name,
       extract(epoch FROM now() - w.last_msg_receipt_time)::float8 AS last_message_age_s
FROM pg_stat_wal_receiver w

-- The standbys a primary streams to (pg_stat_replication): state, sync state, lag in bytes and time
SELECT r.pid,
       r.application_name,
       coalesce(r.client_addr::text, 'local socket') AS client,
       r.state,
       r.sync_state,
       pg_wal_lsn_diff(pg_current_wal_lsn(), r.sent_lsn)::bigint AS send_behind_bytes,
       pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::bigint AS replay_behind_bytes,
       extract(epoch FROM r.replay_lag)::float8 AS replay_lag_s,
       extract(epoch FROM r.flush_lag)::float8 AS flush_lag_s
FROM pg_stat_replication r
ORDER BY r.application_name, r.pid

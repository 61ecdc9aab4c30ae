-- A cluster member: primary or standby, system identifier, version, replay state and what this server has applied
SELECT pg_is_in_recovery() AS in_recovery,
       CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE')
            THEN (SELECT system_identifier::text FROM pg_control_system()) END AS system_identifier,
       current_setting('server_version') AS server_version,
       current_setting('server_version_num')::int AS server_version_num,
       current_database() AS database,
       current_setting('cluster_name') AS cluster_name,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS replay_paused,
       CASE WHEN pg_is_in_recovery()
            THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint END AS replay_behind_bytes,
       -- the time since the last replayed commit is lag only while WAL waits to be replayed (an idle primary is no lag)
       CASE WHEN pg_is_in_recovery() THEN
            CASE WHEN pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn()
                 THEN 0 ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END END AS replay_lag_s,
       CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text AS lsn,
       (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS vector_version,
       (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS vector_library_version

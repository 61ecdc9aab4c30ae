-- Whether this server is a standby, and the settings that decide what its queries do to the primary's horizon
SELECT pg_is_in_recovery() AS in_recovery,
       current_setting('hot_standby_feedback')::bool AS hot_standby_feedback,
       current_setting('max_standby_streaming_delay') AS max_standby_streaming_delay,
       (SELECT count(*) FROM pg_stat_database_conflicts WHERE datname = current_database()
           AND confl_snapshot > 0)::bigint AS snapshot_conflicts

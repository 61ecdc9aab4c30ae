-- Queries a standby cancelled to go on replaying (pg_stat_database_conflicts, every database), with the settings that trade them off
SELECT coalesce(sum(c.confl_tablespace + c.confl_lock + c.confl_snapshot + c.confl_bufferpin + c.confl_deadlock), 0)::bigint
           AS cancelled,
       coalesce(sum(c.confl_snapshot), 0)::bigint AS snapshot,
       coalesce(sum(c.confl_lock), 0)::bigint AS lock,
       coalesce(sum(c.confl_bufferpin), 0)::bigint AS bufferpin,
       current_setting('hot_standby_feedback') AS hot_standby_feedback,
       current_setting('max_standby_streaming_delay') AS max_standby_streaming_delay
FROM pg_stat_database_conflicts c

-- Progress of running CREATE INDEX / REINDEX builds (pg_stat_progress_create_index), of one backend pid or all
SELECT p.pid,
       p.datname AS database,
       p.relid::bigint AS table_oid,
       CASE WHEN p.relid <> 0 THEN p.relid::regclass::text END AS table,
       p.index_relid::bigint AS index_oid,
       CASE WHEN p.index_relid <> 0 THEN p.index_relid::regclass::text END AS index,
       p.command,
       p.phase,
       p.lockers_total, p.lockers_done, p.current_locker_pid,
       p.blocks_total, p.blocks_done,
       p.tuples_total, p.tuples_done,
       p.partitions_total, p.partitions_done,
       -- the counter that moves in the current phase: tuples, else heap blocks, else lockers waited for
       CASE WHEN p.tuples_total > 0 THEN 'tuples' WHEN p.blocks_total > 0 THEN 'blocks'
            WHEN p.lockers_total > 0 THEN 'lockers' END AS work_unit,
       CASE WHEN p.tuples_total > 0 THEN p.tuples_done WHEN p.blocks_total > 0 THEN p.blocks_done
            WHEN p.lockers_total > 0 THEN p.lockers_done END AS work_done,
       CASE WHEN p.tuples_total > 0 THEN p.tuples_total WHEN p.blocks_total > 0 THEN p.blocks_total
            WHEN p.lockers_total > 0 THEN p.lockers_total END AS work_total,
       a.query_start,
       extract(epoch FROM clock_timestamp() - a.query_start)::float8 AS elapsed_s,
       a.wait_event_type,
       a.wait_event,
       a.state,
       a.usename AS role,
       a.application_name,
       a.query
FROM pg_stat_progress_create_index p
LEFT JOIN pg_stat_activity a ON a.pid = p.pid
WHERE (%(pid)s::int IS NULL OR p.pid = %(pid)s::int)
ORDER BY a.query_start NULLS LAST, p.pid

-- Progress of running CREATE INDEX / REINDEX builds (pg_stat_progress_create_index), of one backend pid or all
SELECT p.pid,
       p.datname AS database,
       p.relid::bigint AS table_oid,
       -- names resolve only in this database: another database's oids are shown as such
       coalesce(quote_ident(tn.nspname) || '.' || quote_ident(t.relname),
                CASE WHEN p.relid <> 0 THEN 'oid ' || p.relid || CASE WHEN p.datname = current_database() THEN ' (uncommitted)' ELSE ' in ' || p.datname END END) AS table,
       tn.nspname AS table_schema,
       p.index_relid::bigint AS index_oid,
       coalesce(quote_ident(xn.nspname) || '.' || quote_ident(x.relname),
                CASE WHEN p.index_relid <> 0 THEN 'oid ' || p.index_relid || CASE WHEN p.datname = current_database() THEN ' (uncommitted)' ELSE ' in ' || p.datname END END) AS index,
       -- what is being built: the index once it has a name (not yet for a plain CREATE INDEX), else its table
       coalesce(quote_ident(xn.nspname) || '.' || quote_ident(x.relname),
                CASE WHEN p.index_relid <> 0 THEN 'oid ' || p.index_relid || CASE WHEN p.datname = current_database() THEN ' (uncommitted)' ELSE ' in ' || p.datname END END,
                quote_ident(tn.nspname) || '.' || quote_ident(t.relname),
                CASE WHEN p.relid <> 0 THEN 'oid ' || p.relid || CASE WHEN p.datname = current_database() THEN ' (uncommitted)' ELSE ' in ' || p.datname END END) AS relation,
       p.command,
       p.phase,
       p.lockers_total, p.lockers_done, p.current_locker_pid,
       p.blocks_total, p.blocks_done,
       p.tuples_total, p.tuples_done,
       p.partitions_total, p.partitions_done,
       -- the counter that moves in the current phase: tuples, else heap blocks, else lockers waited for
       -- (pgvector's HNSW "loading tuples" moves blocks, and tuples_done without a total; IVFFlat's
       -- "performing k-means" moves nothing)
       -- (the "waiting for ..." phases of CONCURRENTLY count lockers: the block counts of the build stay behind)
       CASE WHEN p.phase LIKE 'waiting for %%' AND p.lockers_total > 0 THEN 'lockers'
            WHEN p.tuples_total > 0 THEN 'tuples' WHEN p.blocks_total > 0 THEN 'blocks'
            WHEN p.lockers_total > 0 THEN 'lockers' END AS work_unit,
       CASE WHEN p.phase LIKE 'waiting for %%' AND p.lockers_total > 0 THEN p.lockers_done
            WHEN p.tuples_total > 0 THEN p.tuples_done WHEN p.blocks_total > 0 THEN p.blocks_done
            WHEN p.lockers_total > 0 THEN p.lockers_done END AS work_done,
       CASE WHEN p.phase LIKE 'waiting for %%' AND p.lockers_total > 0 THEN p.lockers_total
            WHEN p.tuples_total > 0 THEN p.tuples_total WHEN p.blocks_total > 0 THEN p.blocks_total
            WHEN p.lockers_total > 0 THEN p.lockers_total END AS work_total,
       a.usename AS role, a.application_name AS application, a.client_addr::text AS client,
       coalesce(a.query_start, a.backend_start) AS query_start,
       extract(epoch FROM clock_timestamp() - coalesce(a.query_start, a.backend_start))::float8 AS elapsed_s,
       a.wait_event_type, a.wait_event, a.state, a.query
FROM pg_stat_progress_create_index p
LEFT JOIN pg_stat_activity a ON a.pid = p.pid
LEFT JOIN pg_class t ON t.oid = p.relid AND p.datname = current_database()
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_class x ON x.oid = p.index_relid AND p.datname = current_database()
LEFT JOIN pg_namespace xn ON xn.oid = x.relnamespace
WHERE (%(pid)s::int IS NULL OR p.pid = %(pid)s::int)
ORDER BY a.query_start NULLS LAST, p.pid

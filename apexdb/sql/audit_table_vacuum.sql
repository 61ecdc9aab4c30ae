-- Per user table: live and dead tuples, last (auto)vacuum and analyze, and when autovacuum would act
SELECT s.relid::bigint AS table_oid,
       s.schemaname AS schema,
       s.relname AS table,
       format('%I.%I', s.schemaname, s.relname) AS table_qname,
       s.n_live_tup AS live_rows,
       s.n_dead_tup AS dead_rows,
       s.n_mod_since_analyze AS modified_since_analyze,
       c.reltuples::bigint AS estimated_rows,
       greatest(s.last_vacuum, s.last_autovacuum) AS last_vacuum,
       extract(epoch FROM now() - greatest(s.last_vacuum, s.last_autovacuum))::float8 AS vacuum_age_s,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyze,
       current_setting('autovacuum')::bool
           AND coalesce((SELECT option_value::bool FROM pg_options_to_table(c.reloptions)
                         WHERE option_name = 'autovacuum_enabled'), true) AS autovacuum_enabled,
       coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions)
                 WHERE option_name = 'autovacuum_vacuum_threshold'),
                current_setting('autovacuum_vacuum_threshold')::float8)
         + coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions)
                     WHERE option_name = 'autovacuum_vacuum_scale_factor'),
                    current_setting('autovacuum_vacuum_scale_factor')::float8) * greatest(c.reltuples, 0)
           AS autovacuum_trigger,
       c.relkind = 'p' AS partitioned
FROM pg_stat_user_tables s
JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname !~ '^pg_temp_'
ORDER BY s.schemaname, s.relname

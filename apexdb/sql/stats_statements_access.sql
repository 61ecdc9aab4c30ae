-- Whether pg_stat_statements is preloaded, created (and where), and readable by this role
-- pg_settings, not current_setting(): a role without pg_read_all_settings gets NULL (unknown), not an error
SELECT (SELECT 'pg_stat_statements' = ANY (string_to_array(replace(setting, ' ', ''), ','))
        FROM pg_settings WHERE name = 'shared_preload_libraries') AS preloaded,
       e.extname IS NOT NULL AS created,
       n.nspname AS schema,
       e.extversion AS version,
       CASE WHEN e.extname IS NULL THEN false
            ELSE has_function_privilege(format('%I.pg_stat_statements(boolean)', n.nspname), 'EXECUTE') END
           AS readable,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS sees_all_users
FROM (SELECT 1) one
LEFT JOIN pg_extension e ON e.extname = 'pg_stat_statements'
LEFT JOIN pg_namespace n ON n.oid = e.extnamespace

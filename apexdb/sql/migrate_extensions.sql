-- The extensions apexdb init creates: available?, installed version, and whether pg_stat_statements is preloaded
SELECT a.name, a.installed_version, a.default_version,
       current_setting('shared_preload_libraries') ~ 'pg_stat_statements' AS preloaded,
       current_setting('server_version') AS server_version
FROM pg_available_extensions a
WHERE a.name IN ('vector', 'pg_stat_statements')

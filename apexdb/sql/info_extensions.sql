-- Extensions installed in this database and the vector-related ones available to install
SELECT a.name,
       e.extversion AS installed_version,
       a.default_version,
       n.nspname AS schema,
       e.extname IS NOT NULL AS installed
FROM pg_available_extensions a
LEFT JOIN pg_extension e ON e.extname = a.name
LEFT JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname IS NOT NULL OR a.name IN ('vector', 'pg_stat_statements', 'vectorscale', 'pg_trgm')
ORDER BY e.extname IS NULL, a.name

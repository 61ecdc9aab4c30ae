-- Whether pgvector is installed in this database or at least available on the server, and the server version
SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed_version,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available,
       current_setting('server_version') AS server_version

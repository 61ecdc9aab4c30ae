-- The installed version of one extension (none when it is not installed in this database)
SELECT extversion FROM pg_extension WHERE extname = %(name)s

-- Every extension installed in this database and its version (the registry picks variants by them)
SELECT extname, extversion FROM pg_extension

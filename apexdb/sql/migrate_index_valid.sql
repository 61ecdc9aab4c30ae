-- Whether an index of this name in this schema (default: the current schema) is valid; no row when none exists
SELECT i.indisvalid
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = %(name)s AND n.nspname = coalesce(%(schema)s, current_schema())

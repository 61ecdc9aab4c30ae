-- An index named by the user ("name" on the search path, or schema and name)
SELECT n.nspname AS schema, ic.relname AS name
FROM pg_class ic
JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE ic.relkind IN ('i', 'I')
  AND ic.relname = %(name)s
  AND (n.nspname = %(schema)s OR (%(schema)s::text IS NULL AND n.nspname = ANY (current_schemas(false))))
ORDER BY array_position(current_schemas(false), n.nspname::name)
LIMIT 1

-- What already has a given name in a schema (index names share the namespace with tables), with index state
SELECT c.oid::bigint AS oid, c.relname AS name, c.relkind AS kind,
       i.indisvalid AS valid, i.indisready AS ready,
       CASE WHEN i.indrelid IS NOT NULL THEN i.indrelid::regclass::text END AS table,
       i.indrelid::bigint AS table_oid,
       CASE WHEN i.indexrelid IS NOT NULL THEN pg_get_indexdef(i.indexrelid) END AS definition
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indexrelid = c.oid
WHERE n.nspname = %(schema)s AND c.relname = %(name)s

-- One index by name ("name" on the search path, or schema and name) with its table and state; its size and definition only with with_details (both wait on a lock someone holds on the index or its table)
SELECT n.nspname AS schema, ic.relname AS name, ic.oid::bigint AS index_oid, ic.relkind AS kind,
       tn.nspname AS table_schema, c.relname AS table, c.oid::bigint AS table_oid,
       am.amname AS method, i.indisvalid AS valid, i.indisready AS ready,
       i.indisprimary AS is_primary, CASE WHEN %(with_details)s THEN pg_relation_size(ic.oid) END AS size_bytes,
       CASE WHEN %(with_details)s THEN pg_get_indexdef(ic.oid) END AS definition,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ic.oid AND k.contype IN ('p', 'u', 'x')) AS backs_constraint
FROM pg_class ic
JOIN pg_index i ON i.indexrelid = ic.oid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
WHERE ic.relname = %(name)s
  AND (n.nspname = %(schema)s OR (%(schema)s::text IS NULL AND n.nspname = ANY (current_schemas(false))))
ORDER BY array_position(current_schemas(false), n.nspname::name)
LIMIT 1

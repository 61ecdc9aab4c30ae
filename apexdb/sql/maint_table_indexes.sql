-- The indexes of table %(table_oid)s as "schema.name", leftovers of failed concurrent reindexes marked
SELECT n.nspname || '.' || ic.relname AS qualified, n.nspname AS schema, ic.relname AS name,
       i.indisvalid AS valid,
       (NOT i.indisvalid AND ic.relname ~ '_cc(new|old)[0-9]*$') AS leftover
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE i.indrelid = %(table_oid)s::oid
ORDER BY ic.relname

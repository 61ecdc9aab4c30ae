-- CHECK and FOREIGN KEY constraints created NOT VALID and never validated
SELECT con.conname AS constraint_name,
       con.contype::text AS constraint_type,
       n.nspname AS schema,
       c.relname AS table,
       format('%I.%I', n.nspname, c.relname) AS table_qname,
       pg_get_constraintdef(con.oid, true) AS definition
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT con.convalidated
  AND con.contype IN ('c', 'f', 'n')
  AND con.conparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY n.nspname, c.relname, con.conname

-- Every foreign key's referencing table and columns (attnums): the indexes that support them
SELECT con.conrelid::bigint AS table_oid,
       con.conname AS constraint_name,
       con.conkey::int[] AS columns,
       CASE WHEN cardinality(con.conkey) = 1 THEN format('%I IS NOT NULL', a.attname) END AS not_null_predicate
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
LEFT JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
WHERE con.contype = 'f'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')

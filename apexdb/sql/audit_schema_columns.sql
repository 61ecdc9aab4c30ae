-- Columns of user tables whose type causes trouble (json, money, char(n), timestamp, serial, int4/int2 keys)
SELECT n.nspname AS schema,
       c.relname AS table,
       format('%I.%I', n.nspname, c.relname) AS table_qname,
       a.attname AS column,
       quote_ident(a.attname) AS quoted_column,
       coalesce(et.typname, t.typname) AS base_type,
       format_type(a.atttypid, a.atttypmod) AS type,
       t.typcategory = 'A' AS is_array,
       a.attidentity <> '' AS is_identity,
       s.oid IS NOT NULL AS is_serial,
       CASE WHEN s.oid IS NOT NULL THEN format('%I.%I', sn.nspname, s.relname) END AS sequence_qname,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u')
               AND k.conkey = ARRAY[a.attnum]) AS is_single_key,
       greatest(c.reltuples, 0)::bigint AS table_rows
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
-- a serial: the column's default uses a sequence the column owns (OWNED BY, deptype 'a'), not an identity
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                     AND d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.deptype = 'a'
LEFT JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
LEFT JOIN pg_namespace sn ON sn.oid = s.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid
                  AND x.deptype = 'e')
  AND (coalesce(et.typname, t.typname) IN ('json', 'money', 'bpchar', 'timestamp', 'int4', 'int2')
       OR s.oid IS NOT NULL)
ORDER BY n.nspname, c.relname, a.attnum

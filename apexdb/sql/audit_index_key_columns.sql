-- Index keys that are array, boolean or timestamp columns (the shapes index_shapes judges): position, type, NOT NULL
SELECT i.indexrelid::bigint AS index_oid,
       k.pos::int AS position,
       a.attname::text AS column_name,
       t.typname::text AS type_name,
       t.typcategory = 'A' AS is_array,
       a.attnotnull AS not_null
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
CROSS JOIN LATERAL unnest(string_to_array(i.indkey::text, ' ')::int2[]) WITH ORDINALITY k(attnum, pos)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
JOIN pg_type t ON t.oid = a.atttypid
WHERE k.attnum > 0
  AND k.pos <= i.indnkeyatts
  AND (t.typcategory = 'A' OR t.typname IN ('bool', 'timestamp', 'timestamptz'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'

-- NOT NULL columns of user tables that have a partial index (what a WHERE col IS NOT NULL predicate makes redundant)
SELECT a.attrelid::bigint AS table_oid,
       a.attname::text AS column_name
FROM pg_attribute a
WHERE a.attnotnull AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attrelid IN (SELECT indrelid FROM pg_index WHERE indpred IS NOT NULL)

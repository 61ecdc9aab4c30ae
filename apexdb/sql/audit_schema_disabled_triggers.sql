-- Disabled triggers on user tables; internal ones (foreign key enforcement) per table
SELECT n.nspname AS schema,
       c.relname AS table,
       format('%I.%I', n.nspname, c.relname) AS table_qname,
       t.tgname AS trigger,
       t.tgisinternal AS internal,
       t.tgenabled::text AS enabled
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE t.tgenabled = 'D'
  AND t.tgparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY n.nspname, c.relname, t.tgname

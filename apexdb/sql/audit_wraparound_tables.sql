-- Tables of this database whose transaction ID or multixact age (toast included) reaches a limit
SELECT c.oid::bigint AS table_oid,
       n.nspname AS schema,
       c.relname AS table,
       format('%%I.%%I', n.nspname, c.relname) AS table_qname,
       greatest(age(c.relfrozenxid), coalesce(age(t.relfrozenxid), 0)) AS xid_age,
       greatest(mxid_age(c.relminmxid), coalesce(mxid_age(t.relminmxid), 0)) AS multixact_age
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'm')
  AND n.nspname !~ '^pg_temp_'
  AND (greatest(age(c.relfrozenxid), coalesce(age(t.relfrozenxid), 0)) >= %(xid_age)s
       OR greatest(mxid_age(c.relminmxid), coalesce(mxid_age(t.relminmxid), 0)) >= %(multixact_age)s)
ORDER BY xid_age DESC
LIMIT 200

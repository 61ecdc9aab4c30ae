-- Every column of a table with the type load writes (a domain's base type), its dimensions (typmod) and whether it needs a value
SELECT a.attname AS column, coalesce(bt.typname, t.typname) AS type,
       CASE WHEN coalesce(bt.typtype, t.typtype) = 'e' THEN 'enum' ELSE '' END AS kind,
       CASE WHEN a.atttypmod > 0 THEN a.atttypmod END AS typmod,
       format_type(a.atttypid, a.atttypmod) AS display,
       a.attnotnull AS not_null, (a.atthasdef OR a.attidentity <> '') AS has_default,
       a.attidentity = 'a' OR a.attgenerated <> '' AS generated
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
WHERE a.attrelid = %(table_oid)s::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum

-- Columns of one table: type (with modifiers, e.g. vector(1536)), nullability, default, identity
SELECT a.attnum AS position, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
       NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default,
       NULLIF(a.attidentity, '') AS identity, col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %(table_oid)s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum

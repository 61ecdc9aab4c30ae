-- The SQL type of one column of a table given as a (quoted, optionally schema-qualified) name
SELECT format_type(atttypid, atttypmod) AS type
FROM pg_attribute
WHERE attrelid = %(table)s::regclass AND attname = %(column)s

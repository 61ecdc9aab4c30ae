-- Every foreign key with its columns, their types and nullability, the referenced columns and types, and validation state
SELECT con.oid::bigint AS constraint_oid,
       con.conname AS constraint_name,
       con.conrelid::bigint AS table_oid,
       con.confrelid::bigint AS referenced_oid,
       n.nspname AS schema,
       c.relname AS table,
       format('%I.%I', n.nspname, c.relname) AS table_qname,
       format('%I.%I', rn.nspname, rc.relname) AS referenced_qname,
       con.confmatchtype::text AS match_type,
       con.convalidated AS validated,
       con.conkey::int[] AS attnums,
       con.confkey::int[] AS referenced_attnums,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.pos) AS columns,
       ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.pos) AS types,
       ARRAY(SELECT a.atttypid::bigint FROM unnest(con.conkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.pos) AS type_oids,
       ARRAY(SELECT NOT a.attnotnull FROM unnest(con.conkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.pos) AS nullable,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.pos)
           AS referenced_columns,
       ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.pos)
           AS referenced_types,
       ARRAY(SELECT a.atttypid::bigint FROM unnest(con.confkey) WITH ORDINALITY k(attnum, pos)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.pos)
           AS referenced_type_oids
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class rc ON rc.oid = con.confrelid
JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype = 'f'
  AND con.conparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY n.nspname, c.relname, con.conname

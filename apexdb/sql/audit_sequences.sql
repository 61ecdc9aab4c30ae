-- Every sequence with its last value and limits, and the column it feeds (owned, identity or a DEFAULT nextval) with that column's type
SELECT format('%I.%I', n.nspname, s.relname) AS sequence_qname,
       n.nspname AS schema,
       s.relname AS sequence,
       format_type(sq.seqtypid, NULL) AS sequence_type,
       sq.seqmax AS sequence_max,
       sq.seqmin AS sequence_min,
       sq.seqincrement AS increment,
       sq.seqcycle AS cycles,
       ps.last_value,
       has_sequence_privilege(s.oid, 'SELECT') OR has_sequence_privilege(s.oid, 'USAGE') AS readable,
       col.table_qname,
       col.column_name,
       col.quoted_column,
       col.column_type,
       col.is_identity
FROM pg_sequence sq
JOIN pg_class s ON s.oid = sq.seqrelid
JOIN pg_namespace n ON n.oid = s.relnamespace
LEFT JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = s.relname
LEFT JOIN LATERAL (
    -- the owning column (serial: deptype 'a'; identity: 'i'), else a column whose DEFAULT calls it
    SELECT format('%I.%I', tn.nspname, t.relname) AS table_qname, a.attname::text AS column_name,
           quote_ident(a.attname) AS quoted_column, format_type(a.atttypid, NULL) AS column_type,
           a.attidentity <> '' AS is_identity
    FROM pg_depend d
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass
      AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
    UNION ALL
    SELECT format('%I.%I', tn.nspname, t.relname), a.attname::text, quote_ident(a.attname),
           format_type(a.atttypid, NULL), false
    FROM pg_depend d
    JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
    JOIN pg_class t ON t.oid = ad.adrelid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ad.adnum
    WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = s.oid AND d.deptype = 'n'
    LIMIT 1) col ON true
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY n.nspname, s.relname

-- Constraints of one table (primary key, unique, foreign key, check, exclusion) with their definitions
SELECT k.conname AS name,
       CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign key'
                      WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' WHEN 'n' THEN 'not null'
                      ELSE k.contype::text END AS type,
       pg_get_constraintdef(k.oid) AS definition, k.convalidated AS validated
FROM pg_constraint k
WHERE k.conrelid = %(table_oid)s
  AND k.contype <> 'n'  -- PostgreSQL 18 lists NOT NULL here too; the columns already say it
ORDER BY array_position(ARRAY['p', 'u', 'f', 'c', 'x', 'n']::"char"[], k.contype), k.conname

-- Statements of this database that use a pgvector distance operator, most called first (pg_stat_statements)
SELECT query, calls
FROM {pgss} s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.query ~ '<->|<=>|<#>|<\+>|<~>|<%>'
ORDER BY s.calls DESC
LIMIT 500

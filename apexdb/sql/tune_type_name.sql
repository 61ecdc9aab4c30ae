-- The name of a type by its oid (what the first column of --queries-sql returns)
SELECT typname AS name FROM pg_type WHERE oid = %(oid)s::bigint::oid

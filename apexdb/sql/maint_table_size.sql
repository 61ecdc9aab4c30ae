-- Exact size of table %(oid)s (with TOAST) and of its indexes; takes an ACCESS SHARE lock, so run it with a short lock_timeout
SELECT %(oid)s::bigint AS oid, pg_table_size(%(oid)s::oid) AS table_bytes, pg_indexes_size(%(oid)s::oid) AS index_bytes

-- How many scans each given index served since the statistics reset
SELECT indexrelid::bigint AS oid, idx_scan AS scans
FROM pg_stat_all_indexes
WHERE indexrelid = ANY (%(oids)s::bigint[]::oid[])

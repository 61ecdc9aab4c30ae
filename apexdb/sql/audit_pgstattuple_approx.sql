-- Free space and dead tuples of one relation measured by pgstattuple_approx (reads the pages the visibility map does not vouch for)
SELECT table_len, approx_free_space, dead_tuple_len, scanned_percent
FROM {schema}.pgstattuple_approx(%(oid)s::bigint::oid)

-- A hypothetical index (HypoPG: this backend's memory only, nothing is built or written)
SELECT indexrelid::bigint AS oid, indexname AS name FROM {hypopg_schema}.hypopg_create_index(%(definition)s)

-- Whether tune's scratch copy can be made here: a primary (not in recovery) and CREATE on the table's schema
SELECT pg_is_in_recovery() AS recovery, has_schema_privilege(%(schema)s, 'CREATE') AS can_create

-- When pg_stat_statements was last reset (unknown before 1.9: no pg_stat_statements_info)
SELECT NULL::timestamptz AS stats_reset

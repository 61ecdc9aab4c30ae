-- When pg_stat_statements was last reset, from pg_stat_statements_info
-- requires: pg_stat_statements >= 1.9
SELECT stats_reset FROM {pgss_info}
